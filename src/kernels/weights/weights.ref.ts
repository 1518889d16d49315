/**
 * CPU twin of shaders/weights_gen.wgsl: the synthetic weight of every element, bit-identical to what the
 * GPU stores. Every value is a small integer times a power of two, so it is exact in its storage format
 * (and in f32), and the twin never depends on a rounding mode.
 */
import { QBLOCK, type WeightFormat } from '../../core/tensor';
import { mix32 } from '../../core/numeric';

/** Seed offsets of the element hash (as fill_hash) and of the per-block scale hash. */
const ELEMENT_SALT = 0x9e3779b9;
const BLOCK_SALT = 0x85ebca6b;

/** Hash of element `idx` (u32 row * cols + col over the whole tensor, wrapping like the GPU). */
export function elementHash(seed: number, idx: number): number {
  return mix32((idx >>> 0) ^ mix32((seed + ELEMENT_SALT) >>> 0));
}

/** The integer a weight is made of: f32 in [-2^23, 2^23), f16 in [-1024, 1023], q8_0 in [-127, 127], q4_0 nibble 0..15. */
export function weightCode(format: WeightFormat, seed: number, idx: number): number {
  const h = elementHash(seed, idx);
  switch (format) {
    case 'f32':
      return (h >>> 8) - 8388608;
    case 'f16':
      return (h >>> 21) - 1024;
    case 'q8_0':
      return Math.min(127, Math.max(-127, (h >>> 24) - 128));
    case 'q4_0':
      return h >>> 28;
  }
}

/**
 * f16 scale of quantisation block `block` (element index / 32): amp * 2^-7 (q8_0) or amp * 2^-3 (q4_0)
 * times (1 + s/32) with s in 0..31 — six significant bits, exact in f16 for ampLog2 >= -12.
 */
export function blockScale(format: 'q8_0' | 'q4_0', seed: number, ampLog2: number, block: number): number {
  const hs = mix32((block >>> 0) ^ mix32((seed + BLOCK_SALT) >>> 0));
  const base = format === 'q8_0' ? -7 : -3;
  return 2 ** (ampLog2 + base) * (1 + (hs & 31) / 32);
}

/** Weight (row, col) of a tensor with `cols` columns, exactly as the GPU stores it after dequantisation. */
export function weightRef(format: WeightFormat, seed: number, ampLog2: number, row: number, col: number, cols: number): number {
  const idx = (row * cols + col) >>> 0;
  const q = weightCode(format, seed, idx);
  switch (format) {
    case 'f32':
      return q * 2 ** (ampLog2 - 23);
    case 'f16':
      return q * 2 ** (ampLog2 - 10);
    case 'q8_0':
      return blockScale(format, seed, ampLog2, Math.floor(idx / QBLOCK)) * q;
    case 'q4_0':
      return blockScale(format, seed, ampLog2, Math.floor(idx / QBLOCK)) * (q - 8);
  }
}

/** Rows rowStart .. rowStart+rows-1 dequantised, row-major (rows x cols). */
export function dequantRows(format: WeightFormat, seed: number, ampLog2: number, rowStart: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = weightRef(format, seed, ampLog2, rowStart + r, c, cols);
  }
  return out;
}
