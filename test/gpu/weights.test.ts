import { describe, expect, test } from 'vitest';
import { readBuffer } from '../../src/gpu/buffers';
import { f16round } from '../../src/core/numeric';
import { ampLog2For, generateWeights } from '../../src/kernels/weights/weights';
import { blockScale, dequantRows, kBlockScales, kSubScales, weightCode, weightRef } from '../../src/kernels/weights/weights.ref';
import { allocTensor, colsMultiple, dataBytes, scaleBytes } from '../../src/core/tensor';
import { QBLOCK, WEIGHT_FORMATS, type QTensorPart, type WeightFormat } from '../../src/core/tensor';
import { dequantLayout } from '../../src/core/tensor.ref';
import { withDevice } from './helpers';

const TIMEOUT_MS = 60_000;
const SEED = 1234;
/**
 * 11 rows of 96 columns (3 blocks per row; 768 and 3 blocks for the k-quants) in parts of 4, 4 and 3 rows:
 * the last part has an odd block count.
 */
const ROWS = 11;
const colsOf = (format: WeightFormat) => (colsMultiple(format) === 256 ? 768 : 96);
const ROWS_PER_PART = 4;

/** IEEE binary16 bits of `v`, which must be exact in f16 (the generator promises it). */
function f16Bits(v: number): number {
  if (f16round(v) !== v) throw new Error(`${v} is not exact in f16`);
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | (a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  return sign | ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

/**
 * CPU packing of a part, word for word as the layout in core/tensor.ts prescribes (the formats whose words
 * follow from the codes alone; null for the k-quants, checked value for value through the layout reading).
 */
function packPart(format: WeightFormat, ampLog2: number, part: QTensorPart, cols: number): { data: Uint32Array; scales: Uint32Array | null } | null {
  const n = part.rows * cols;
  const base = part.rowStart * cols;
  const value = (i: number) => weightRef(format, SEED, ampLog2, part.rowStart + Math.floor(i / cols), i % cols, cols);
  switch (format) {
    case 'f32':
      return { data: new Uint32Array(Float32Array.from({ length: n }, (_, i) => value(i)).buffer), scales: null };
    case 'f16': {
      const data = new Uint32Array(n / 2);
      for (let i = 0; i < n; i++) data[i >> 1]! |= f16Bits(value(i)) << (16 * (i & 1));
      return { data, scales: null };
    }
    case 'bf16': {
      const data = new Uint32Array(n / 2);
      for (let i = 0; i < n; i++) data[i >> 1]! |= (new Uint32Array(Float32Array.of(value(i)).buffer)[0]! >>> 16) << (16 * (i & 1));
      return { data, scales: null };
    }
    default:
      return null;
    case 'q8_0':
    case 'q4_0': {
      const bits = format === 'q8_0' ? 8 : 4;
      const perWord = 32 / bits;
      const data = new Uint32Array(n / perWord);
      for (let i = 0; i < n; i++) {
        const code = weightCode(format, SEED, base + i) & ((1 << bits) - 1);
        data[Math.floor(i / perWord)]! |= code << (bits * (i % perWord));
      }
      const blocks = n / QBLOCK;
      const scales = new Uint32Array(Math.ceil(blocks / 2));
      for (let b = 0; b < blocks; b++) {
        scales[b >> 1]! |= f16Bits(blockScale(format, SEED, ampLog2, base / QBLOCK + b)) << (16 * (b & 1));
      }
      return { data, scales };
    }
  }
}

async function readWords(device: GPUDevice, buf: GPUBuffer, words: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buf, TIMEOUT_MS, 0, words * 4));
}

function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) return `at ${i}: got ${got[i]} want ${want[i]}`;
  }
  return null;
}

describe('GPU-generated weights are bit-identical to the CPU twin', () => {
  const cases = WEIGHT_FORMATS.flatMap((format) => [-12, -5, 0].map((ampLog2) => ({ format, ampLog2 })));
  test.each(cases)('$format, ampLog2 $ampLog2, 3 parts', async ({ format, ampLog2 }) => {
    const COLS = colsOf(format);
    await withDevice(async ({ device }, res) => {
      const tensor = allocTensor(device, res, `w.${format}`, format, ROWS, COLS, dataBytes(format, ROWS_PER_PART * COLS));
      expect(tensor.parts.map((p) => p.rows)).toEqual([4, 4, 3]);
      // Poison first: a word the generator skips shows up as a mismatch.
      for (const part of tensor.parts) {
        device.queue.writeBuffer(part.data, 0, new Uint32Array(part.data.size / 4).fill(0xdeadbeef));
        if (part.scales) device.queue.writeBuffer(part.scales, 0, new Uint32Array(part.scales.size / 4).fill(0xdeadbeef));
      }
      await generateWeights(device, res, tensor, SEED, ampLog2);
      for (const part of tensor.parts) {
        const n = part.rows * COLS;
        const data = await readWords(device, part.data, dataBytes(format, n) / 4);
        const scales = part.scales ? await readWords(device, part.scales, Math.ceil(scaleBytes(format, n) / 4)) : null;
        const want = packPart(format, ampLog2, part, COLS);
        if (want) {
          expect(firstMismatch(data, want.data), `${part.data.label}`).toBeNull();
          expect(firstMismatch(scales ?? [], want.scales ?? []), `${part.scales?.label}`).toBeNull();
        }
        const bytes = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
        const values = dequantLayout(format, bytes(data), scales && bytes(scales), n);
        expect(firstMismatch(values, dequantRows(format, SEED, ampLog2, part.rowStart, part.rows, COLS))).toBeNull();
        // Not degenerate: both signs and many distinct values.
        expect(values.some((v) => v > 0) && values.some((v) => v < 0)).toBe(true);
        expect(new Set(values).size).toBeGreaterThan(n / 16);
      }
    });
  });
});

describe('weight amplitudes', () => {
  test.each([
    { fanIn: 3, want: 0 },
    { fanIn: 1, want: 0 },
    { fanIn: 96, want: -2 },
    { fanIn: 896, want: -4 },
    { fanIn: 4096, want: -5 },
    { fanIn: 18944, want: -6 },
    { fanIn: 1e12, want: -12 },
  ])('ampLog2For($fanIn) = $want', ({ fanIn, want }) => {
    expect(ampLog2For(fanIn)).toBe(want);
  });

  test('every scale is an exact f16 at the extreme amplitudes', () => {
    for (const ampLog2 of [-12, 0]) {
      for (let b = 0; b < 256; b++) {
        for (const format of ['q8_0', 'q4_0'] as const) {
          const d = blockScale(format, SEED, ampLog2, b);
          expect(f16round(d)).toBe(d);
        }
        for (const format of ['q4_k', 'q5_k', 'q6_k'] as const) {
          const { d, dmin } = kBlockScales(format, SEED, ampLog2, b);
          expect([f16round(d), f16round(dmin)]).toEqual([d, dmin]);
        }
      }
    }
  });

  test.each(['q4_k', 'q5_k', 'q6_k'] as const)('%s weights are amp 2^-12 times integers below 2^15: exact in f32, spread like uniform weights', (format) => {
    const ampLog2 = -4;
    const w = dequantRows(format, SEED, ampLog2, 0, 16, 256);
    const unit = 2 ** (ampLog2 - 12);
    expect(w.every((v) => Number.isInteger(v / unit) && Math.abs(v / unit) < 2 ** 15)).toBe(true);
    // Element by element (weightRef) as block by block (dequantRows).
    expect(w.every((v, i) => v === weightRef(format, SEED, ampLog2, i >> 8, i & 255, 256))).toBe(true);
    // Sub-block scales span their 6 bits (q6_k: int8 of both signs), so every packed bit of a block matters.
    const scales = Array.from({ length: 64 }, (_, j) => kSubScales(format, SEED, j >> 4, j & 15).scale);
    expect(Math.max(...scales)).toBeGreaterThanOrEqual(format === 'q6_k' ? 100 : 48);
    expect(Math.min(...scales)).toBeLessThan(format === 'q6_k' ? -100 : 16);
    // Root mean square within a factor 2 of uniform weights' amp / sqrt(3).
    const rms = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length) / 2 ** ampLog2;
    expect(rms).toBeGreaterThan(0.5 / Math.sqrt(3));
    expect(rms).toBeLessThan(2 / Math.sqrt(3));
  });
});
