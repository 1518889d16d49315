/**
 * GGUF tensor bytes for format tests: random k-quant blocks and quantised random matrices (ggufBytes), shared
 * by the packer tests (unit) and the GPU tests that run packed GGUF bytes.
 */
import type { WeightFormat } from '../../src/core/tensor';
import { floatToHalf } from '../../src/model/formats/half';
import { quantizeMatrix } from '../../src/model/formats/quant';
import { FORMATS, tensorBytes } from '../../src/model/formats/table';

/** A deterministic generator (mulberry32) so every failure reproduces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * GGUF bytes of a rows x cols matrix: for the k-quants random bytes with finite, varied f16 super-block
 * scales (every bit pattern of the quants, scales and mins occurs: any such block is valid), for the others
 * a quantised random matrix.
 */
export function ggufBytes(format: WeightFormat, rows: number, cols: number, seed: number): Uint8Array {
  const r = rng(seed);
  if (format === 'q4_k' || format === 'q5_k' || format === 'q6_k') {
    const bytes = Uint8Array.from({ length: tensorBytes(format, rows, cols) }, () => Math.floor(r() * 256));
    const dv = new DataView(bytes.buffer);
    const { blockBytes } = FORMATS[format];
    const half = () => floatToHalf((r() < 0.5 ? -1 : 1) * 2 ** (-12 + 8 * r()));
    for (let p = 0; p < bytes.length; p += blockBytes) {
      if (format === 'q6_k') dv.setUint16(p + 208, half(), true);
      else {
        dv.setUint16(p, half(), true);
        dv.setUint16(p + 2, half(), true);
      }
    }
    return bytes;
  }
  const x = Float32Array.from({ length: rows * cols }, () => (r() * 2 - 1) * 2 ** Math.floor(r() * 6 - 3));
  return quantizeMatrix(format, x, rows, cols);
}

