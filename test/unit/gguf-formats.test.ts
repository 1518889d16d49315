import { describe, expect, test } from 'vitest';
import { FORMATS, GGUF_FORMATS, type GgufFormat, formatOfGgmlType, ggmlTypeName, rowBytes, tensorBytes } from '../../src/model/formats/table';
import { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from '../../src/model/formats/half';
import { dequantize, dequantizeRows, kScaleMin } from '../../src/model/formats/dequant';
import { quantize, quantizeMatrix } from '../../src/model/formats/quant';
import { rng } from './gguf-bytes';

describe('format table', () => {
  test.each([
    ['f32', 0, 1, 4],
    ['f16', 1, 1, 2],
    ['bf16', 30, 1, 2],
    ['q8_0', 8, 32, 34],
    ['q4_0', 2, 32, 18],
    ['q4_k', 12, 256, 144],
    ['q5_k', 13, 256, 176],
    ['q6_k', 14, 256, 210],
  ] as const)('%s: GGML type %i, %i weights in %i bytes', (f, type, size, bytes) => {
    expect(FORMATS[f]).toEqual({ format: f, ggmlType: type, blockSize: size, blockBytes: bytes });
    expect(formatOfGgmlType(type)).toBe(f);
  });

  test('byte counts, and rows that are not whole blocks are refused', () => {
    expect(rowBytes('q4_k', 512)).toBe(288);
    expect(tensorBytes('q6_k', 3, 256)).toBe(630);
    expect(() => rowBytes('q4_k', 96)).toThrow('a q4_k row needs a positive multiple of 256 weights, got 96');
    expect(() => rowBytes('q8_0', 0)).toThrow(/positive multiple of 32/);
  });

  test('unsupported GGML types have names, unknown ids a number', () => {
    expect(formatOfGgmlType(6)).toBeNull();
    expect(ggmlTypeName(6)).toBe('Q5_0');
    expect(ggmlTypeName(23)).toBe('IQ4_XS');
    expect(ggmlTypeName(99)).toBe('type 99');
  });
});

describe('f16 and bf16', () => {
  test.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [2 ** -24, 0x0001],
    [2 ** -14, 0x0400],
    [0.1, 0x2e66],
    [1 + 2 ** -11, 0x3c00], // tie, to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie, to even (up)
    [65520, 0x7c00], // rounds to infinity
    [-0, 0x8000],
  ])('half(%d) = %i', (x, bits) => {
    expect(floatToHalf(x)).toBe(bits);
  });

  test('every finite half decodes and re-encodes to itself', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00 && floatToHalf(halfToFloat(h)) !== h) bad.push(h);
    expect(bad).toEqual([]);
  });

  test.each([
    [1, 0x3f80],
    [-1.5, 0xbfc0],
    [1 + 2 ** -8, 0x3f80], // tie, to even
    [1 + 3 * 2 ** -8, 0x3f82],
  ])('bf16(%d) = %i', (x, bits) => {
    expect(floatToBf16(x)).toBe(bits);
  });

  test('bf16 decodes as the high half of an f32', () => {
    expect([bf16ToFloat(0x3f80), bf16ToFloat(0xbfc0), bf16ToFloat(0x3f82), bf16ToFloat(0x0001)]).toEqual([1, -1.5, 1 + 2 ** -6, 2 ** -133]);
  });

  test('every finite bf16 decodes and re-encodes to itself', () => {
    const bad: number[] = [];
    for (let b = 0; b < 0x10000; b++) if ((b & 0x7f80) !== 0x7f80 && floatToBf16(bf16ToFloat(b)) !== b) bad.push(b);
    expect(bad).toEqual([]);
  });
});

/** Writes the 12 scale/min bytes of a q4_k/q5_k block as GGML lays them out. */
function packKScales(sc: number[], mn: number[]): number[] {
  const b = new Array<number>(12).fill(0);
  for (let j = 0; j < 4; j++) {
    b[j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
    b[j + 4] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
    b[j + 8] = (sc[j + 4]! & 15) | ((mn[j + 4]! & 15) << 4);
  }
  return b;
}

const half = (x: number) => [floatToHalf(x) & 0xff, floatToHalf(x) >> 8];

describe('hand-built blocks decode to known values', () => {
  test('q8_0: d = 0.25, q = i - 16', () => {
    const block = new Uint8Array([...half(0.25), ...Array.from({ length: 32 }, (_, i) => (i - 16) & 0xff)]);
    const out = new Float64Array(32);
    dequantize('q8_0', block, 0, 32, out);
    expect([...out]).toEqual(Array.from({ length: 32 }, (_, i) => 0.25 * (i - 16)));
  });

  test('q4_0: d = -0.5, byte j holds weights j (low) and j + 16 (high)', () => {
    const q = Array.from({ length: 32 }, (_, i) => (i * 7) % 16);
    const block = new Uint8Array([...half(-0.5), ...Array.from({ length: 16 }, (_, j) => q[j]! | (q[j + 16]! << 4))]);
    const out = new Float64Array(32);
    dequantize('q4_0', block, 0, 32, out);
    expect([...out]).toEqual(q.map((v) => -0.5 * (v - 8)));
  });

  test('the 6-bit scale/min packing round-trips through kScaleMin', () => {
    const sc = [1, 17, 33, 63, 0, 40, 15, 62];
    const mn = [63, 2, 48, 16, 31, 1, 59, 0];
    const b = new Uint8Array(packKScales(sc, mn));
    for (let j = 0; j < 8; j++) expect(kScaleMin(b, 0, j)).toEqual([sc[j], mn[j]]);
  });

  test.each(['q4_k', 'q5_k'] as const)('%s: d, dmin, scale_j, min_j and q (fifth bit included)', (f) => {
    const d = 2 ** -4;
    const dmin = 2 ** -5;
    const sc = Array.from({ length: 8 }, (_, j) => 10 + 7 * j);
    const mn = Array.from({ length: 8 }, (_, j) => 63 - 5 * j);
    const levels = f === 'q5_k' ? 32 : 16;
    const q = Array.from({ length: 256 }, (_, i) => (i * 13 + 5) % levels);
    const qh = new Array<number>(32).fill(0);
    const qs = new Array<number>(128).fill(0);
    for (let i = 0; i < 256; i++) {
      const j = i >> 5;
      const l = i & 31;
      qs[32 * (j >> 1) + l]! |= (q[i]! & 15) << (j & 1 ? 4 : 0);
      if (q[i]! > 15) qh[l]! |= 1 << j;
    }
    const block = new Uint8Array([...half(d), ...half(dmin), ...packKScales(sc, mn), ...(f === 'q5_k' ? qh : []), ...qs]);
    expect(block.length).toBe(FORMATS[f].blockBytes);
    const out = new Float64Array(256);
    dequantize(f, block, 0, 256, out);
    expect([...out]).toEqual(q.map((v, i) => d * sc[i >> 5]! * v - dmin * mn[i >> 5]!));
  });

  test('q6_k: int8 scales per 16 weights, q - 32', () => {
    const d = 2 ** -6;
    const sc = Array.from({ length: 16 }, (_, j) => (j % 2 ? -1 : 1) * (3 + 8 * j));
    const q = Array.from({ length: 256 }, (_, i) => (i * 29 + 3) % 64);
    const ql = new Array<number>(128).fill(0);
    const qh = new Array<number>(64).fill(0);
    for (let i = 0; i < 256; i++) {
      const h = i >> 7;
      const k = (i >> 5) & 3;
      const l = i & 31;
      ql[64 * h + l + (k & 1) * 32]! |= (q[i]! & 15) << (k >> 1 ? 4 : 0);
      qh[32 * h + l]! |= (q[i]! >> 4) << (2 * k);
    }
    const block = new Uint8Array([...ql, ...qh, ...sc.map((s) => s & 0xff), ...half(d)]);
    const out = new Float64Array(256);
    dequantize('q6_k', block, 0, 256, out);
    expect([...out]).toEqual(q.map((v, i) => d * sc[i >> 4]! * (v - 32)));
  });

  test('a truncated buffer is a RangeError naming what was missing', () => {
    expect(() => dequantize('q6_k', new Uint8Array(209), 0, 256, new Float32Array(256))).toThrow(
      '256 q6_k weights need 210 bytes from offset 0, but only 209 remain',
    );
  });
});

/** Largest error a round trip may make, as a fraction of the block's largest magnitude. */
const TOLERANCE: Record<GgufFormat, number> = {
  f32: 0,
  f16: 2 ** -11,
  bf16: 2 ** -8,
  q8_0: 0.5 / 127 + 2 ** -10,
  q4_0: 0.5 / 8 + 2 ** -9,
  q4_k: 1.5 / 15,
  q5_k: 1.5 / 31,
  q6_k: 0.5 / 31 + 2 / 127,
};

describe('quantise then dequantise stays within the format precision', () => {
  test.each(GGUF_FORMATS.flatMap((f) => [[f, 3, 512] as const, [f, 5, 256] as const]))('%s, %i rows of %i', (f, rows, cols) => {
    const r = rng(rows * 1000 + cols + f.length);
    // Rows of different amplitudes and offsets, so scales and mins vary.
    const x = Float32Array.from({ length: rows * cols }, (_, i) => (r() * 2 - 0.8) * 2 ** ((Math.floor(i / cols) % 3) - 1) * (1 + Math.floor(i / 32) % 4));
    const bytes = quantizeMatrix(f, x, rows, cols);
    expect(bytes.length).toBe(tensorBytes(f, rows, cols));
    const y = dequantizeRows(f, bytes, cols, 0, rows);
    const bs = Math.max(FORMATS[f].blockSize, 32);
    let worst = 0; // the largest error as a fraction of its block's largest magnitude
    for (let b0 = 0; b0 < x.length; b0 += bs) {
      let amax = 0;
      for (let i = b0; i < b0 + bs; i++) amax = Math.max(amax, Math.abs(x[i]!));
      for (let i = b0; i < b0 + bs; i++) worst = Math.max(worst, Math.abs(y[i]! - x[i]!) / amax);
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE[f]);
  });

  test.each(GGUF_FORMATS)('%s: dequantizeRows picks rows from the middle, and from a chunk', (f) => {
    const cols = FORMATS[f].blockSize === 256 ? 256 : 64;
    const x = Float32Array.from({ length: 7 * cols }, (_, i) => Math.sin(i));
    const bytes = quantizeMatrix(f, x, 7, cols);
    const all = dequantizeRows(f, bytes, cols, 0, 7);
    expect([...dequantizeRows(f, bytes, cols, 2, 3)]).toEqual([...all.subarray(2 * cols, 5 * cols)]);
    const chunk = bytes.subarray(rowBytes(f, cols) * 2);
    expect([...dequantizeRows(f, chunk, cols, 4, 1, undefined, 2)]).toEqual([...all.subarray(4 * cols, 5 * cols)]);
  });

  test('all-zero blocks quantise to zero', () => {
    for (const f of GGUF_FORMATS) {
      const n = FORMATS[f].blockSize === 256 ? 256 : 32;
      const out = new Uint8Array(rowBytes(f, n));
      quantize(f, new Float32Array(n), 0, n, out);
      const y = new Float32Array(n);
      dequantize(f, out, 0, n, y);
      expect([...y].every((v) => v === 0)).toBe(true);
    }
  });
});
