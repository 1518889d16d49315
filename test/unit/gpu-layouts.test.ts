import { describe, expect, test } from 'vitest';
import { LAYOUTS, WEIGHT_FORMATS, type WeightFormat, colsMultiple, dataBytes, scaleBytes, tensorBytes } from '../../src/core/tensor';
import { dequantLayout } from '../../src/core/tensor.ref';
import { dequantizeRows } from '../../src/model/formats/dequant';
import { allocPacked, packRows } from '../../src/model/formats/pack';
import { FORMATS, GGUF_FORMATS, tensorBytes as ggufTensorBytes } from '../../src/model/formats/table';
import { ggufBytes } from './gguf-bytes';

function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) return `weight ${i}: ${got[i]} != ${want[i]}`;
  return null;
}

describe('GPU layouts hold exactly the GGUF bytes', () => {
  test('the core layout table covers the GGUF formats, and bytes per matrix agree', () => {
    expect([...WEIGHT_FORMATS].sort()).toEqual([...GGUF_FORMATS].sort());
    for (const f of WEIGHT_FORMATS) {
      const cols = 2 * Math.max(colsMultiple(f), FORMATS[f].blockSize);
      expect(tensorBytes(f, 3, cols), f).toBe(ggufTensorBytes(f, 3, cols));
      // Data arrays are whole u32 words per block (q6_k's 210-byte block is not: its d lives apart).
      expect(LAYOUTS[f].data % 4, f).toBe(0);
    }
  });

  test.each([
    ['q4_k', 144, 0],
    ['q5_k', 176, 0],
    ['q6_k', 208, 2],
    ['bf16', 512, 0],
  ] as const)('%s: %i data bytes and %i scale bytes per 256 weights', (f, data, scales) => {
    expect(dataBytes(f, 256)).toBe(data);
    expect(scaleBytes(f, 256)).toBe(scales);
  });
});

describe('packers: GGUF bytes read through the GPU layout equal dequant.ts on the file, value for value', () => {
  const cases = WEIGHT_FORMATS.map((format) => ({ format, cols: FORMATS[format].blockSize === 256 ? 512 : 96 }));

  test.each(cases)('$format, 7 rows of $cols packed in chunks of 3 and 4', ({ format, cols }) => {
    const rows = 7;
    const src = ggufBytes(format, rows, cols, cols + format.length);
    const want = dequantizeRows(format, src, cols, 0, rows, new Float64Array(rows * cols));
    const out = allocPacked(format, rows, cols);
    // Poisoned: a byte the packer skips shows up as a mismatch.
    out.data.fill(0xa5);
    out.scales?.fill(0xa5);
    const rb = src.length / rows;
    packRows(format, src.subarray(0, 3 * rb), cols, 3, out, 0);
    packRows(format, src, cols, 4, out, 3, 3 * rb);
    expect(out.data.length + (out.scales?.length ?? 0)).toBe(src.length);
    const got = dequantLayout(format, out.data, out.scales, rows * cols);
    expect(firstDifference(got, want)).toBeNull();
    // Not degenerate: both signs, many values.
    expect(want.some((v) => v > 0) && want.some((v) => v < 0)).toBe(true);
    expect(new Set(want).size).toBeGreaterThan((rows * cols) / 16);
  });

  test('a chunk that does not fit the part, or source bytes that run out, are RangeErrors', () => {
    const src = ggufBytes('q6_k', 2, 256, 1);
    expect(() => packRows('q6_k', src, 256, 2, allocPacked('q6_k', 2, 256), 1)).toThrow(/do not fit the packed part/);
    expect(() => packRows('q6_k', src, 256, 3)).toThrow(/need 630 bytes/);
  });
});
