import { describe, expect, test } from 'vitest';
import { readBuffer } from '../../src/gpu/buffers';
import { f16round } from '../../src/core/numeric';
import { ampLog2For, generateWeights } from '../../src/kernels/weights/weights';
import { blockScale, dequantRows, weightCode, weightRef } from '../../src/kernels/weights/weights.ref';
import { allocTensor, dataBytes } from '../../src/core/tensor';
import { QBLOCK, WEIGHT_FORMATS, type QTensorPart, type WeightFormat } from '../../src/core/tensor';
import { withDevice } from './helpers';

const TIMEOUT_MS = 60_000;
const SEED = 1234;
/** 11 rows of 96 columns (3 blocks per row) in parts of 4, 4 and 3 rows: the last part has an odd block count. */
const ROWS = 11;
const COLS = 96;
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

function f16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const m = bits & 1023;
  if (e === 31) return m ? NaN : sign * Infinity;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** CPU packing of a part, word for word as the layout in types.ts prescribes. */
function packPart(format: WeightFormat, ampLog2: number, part: QTensorPart, cols: number): { data: Uint32Array; scales: Uint32Array | null } {
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

/** Dequantises the words read back from the GPU (the CPU's reading of the layout). */
function unpackPart(format: WeightFormat, data: Uint32Array, scales: Uint32Array | null, n: number): Float64Array {
  const out = new Float64Array(n);
  const scale = (i: number) => f16Value(((scales?.[(i / QBLOCK) >> 1] ?? NaN) >>> (16 * ((i / QBLOCK) & 1))) & 0xffff);
  for (let i = 0; i < n; i++) {
    switch (format) {
      case 'f32':
        out[i] = new Float32Array(data.buffer)[i]!;
        break;
      case 'f16':
        out[i] = f16Value((data[i >> 1]! >>> (16 * (i & 1))) & 0xffff);
        break;
      case 'q8_0':
        out[i] = scale(i) * ((((data[i >> 2]! >>> (8 * (i & 3))) & 0xff) << 24) >> 24);
        break;
      case 'q4_0':
        out[i] = scale(i) * (((data[i >> 3]! >>> (4 * (i & 7))) & 15) - 8);
        break;
    }
  }
  return out;
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
        const want = packPart(format, ampLog2, part, COLS);
        const data = await readWords(device, part.data, want.data.length);
        expect(firstMismatch(data, want.data), `${part.data.label}`).toBeNull();
        let scales: Uint32Array | null = null;
        if (want.scales) {
          expect(part.scales).not.toBeNull();
          scales = await readWords(device, part.scales!, want.scales.length);
          expect(firstMismatch(scales, want.scales), `${part.scales!.label}`).toBeNull();
        }
        const n = part.rows * COLS;
        const values = unpackPart(format, data, scales, n);
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
    for (const format of ['q8_0', 'q4_0'] as const) {
      for (const ampLog2 of [-12, 0]) {
        for (let b = 0; b < 256; b++) {
          const d = blockScale(format, SEED, ampLog2, b);
          expect(f16round(d)).toBe(d);
        }
      }
    }
  });
});
