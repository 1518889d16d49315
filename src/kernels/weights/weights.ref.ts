/**
 * CPU twin of shaders/weights/generate.wgsl: the synthetic weight of every element, bit-identical to what the
 * GPU stores. Every value is a small integer times a power of two, so it is exact in its storage format
 * (and in f32), and the twin never depends on a rounding mode. A k-quant block is a valid GGUF block (any
 * bytes with finite d and dmin are): random quants, sub-block scales and mins, and f16 super-block scales.
 */
import { KBLOCK, QBLOCK, type WeightFormat } from '../../core/tensor';
import { mix32 } from '../../core/numeric';

/** Seed offsets of the element hash (as fill_hash), the per-block scale hash and the k-quant sub-block hash. */
const ELEMENT_SALT = 0x9e3779b9;
const BLOCK_SALT = 0x85ebca6b;
const SUB_SALT = 0x27d4eb2f;

/** Hash of element `idx` (u32 row * cols + col over the whole tensor, wrapping like the GPU). */
export function elementHash(seed: number, idx: number): number {
  return mix32((idx >>> 0) ^ mix32((seed + ELEMENT_SALT) >>> 0));
}

function blockHash(seed: number, block: number): number {
  return mix32((block >>> 0) ^ mix32((seed + BLOCK_SALT) >>> 0));
}

/**
 * The integer a weight is made of: f32 in [-2^23, 2^23), f16 in [-1024, 1023], bf16 in [-128, 127], q8_0
 * in [-127, 127], the quant of q4_0 and q4_k 0..15, of q5_k 0..31, of q6_k 0..63.
 */
export function weightCode(format: WeightFormat, seed: number, idx: number): number {
  const h = elementHash(seed, idx);
  switch (format) {
    case 'f32':
      return (h >>> 8) - 8388608;
    case 'f16':
      return (h >>> 21) - 1024;
    case 'bf16':
      return (h >>> 24) - 128;
    case 'q8_0':
      return Math.min(127, Math.max(-127, (h >>> 24) - 128));
    case 'q4_0':
    case 'q4_k':
      return h >>> 28;
    case 'q5_k':
      return h >>> 27;
    case 'q6_k':
      return h >>> 26;
  }
}

/**
 * f16 scale of quantisation block `block` (element index / 32): amp * 2^-7 (q8_0) or amp * 2^-3 (q4_0)
 * times (1 + s/32) with s in 0..31 — six significant bits, exact in f16 for ampLog2 >= -12.
 */
export function blockScale(format: 'q8_0' | 'q4_0', seed: number, ampLog2: number, block: number): number {
  const hs = blockHash(seed, block);
  const base = format === 'q8_0' ? -7 : -3;
  return 2 ** (ampLog2 + base) * (1 + (hs & 31) / 32);
}

export type KFormat = 'q4_k' | 'q5_k' | 'q6_k';

/**
 * The f16 super-block scales of k-quant block `block` (element index / 256): d = amp * 2^-12 * (4 + 0..3)
 * (q4_k), (2 + 0..1) (q5_k), (1 + 0..1) (q6_k); dmin = amp * 2^-9 * (4 + 0..3) (q4_k, q5_k; 0 for q6_k).
 * Chosen so a weight is amp * 2^-12 times an integer below 2^15 in magnitude (exact in f32 whatever the
 * order of operations) and d, dmin are exact f16 for ampLog2 >= -12, with a spread like uniform weights of
 * amplitude amp (q4_k/q5_k: d * scale * q and dmin * min have about the same mean).
 */
export function kBlockScales(format: KFormat, seed: number, ampLog2: number, block: number): { d: number; dmin: number } {
  const hb = blockHash(seed, block);
  const unit = 2 ** (ampLog2 - 12);
  const dmin = format === 'q6_k' ? 0 : 8 * unit * (4 + ((hb >>> 2) & 3));
  const d = unit * (format === 'q4_k' ? 4 + (hb & 3) : format === 'q5_k' ? 2 + (hb & 1) : 1 + (hb & 1));
  return { d, dmin };
}

/**
 * The scale and min of sub-block j of k-quant block `block`: 6-bit scale and min of the 32-weight sub-block
 * j < 8 (q4_k, q5_k), or the int8 scale of the 16-weight group j < 16 (q6_k; min 0).
 */
export function kSubScales(format: KFormat, seed: number, block: number, j: number): { scale: number; min: number } {
  const hs = mix32(((block * 16 + j) >>> 0) ^ mix32((seed + SUB_SALT) >>> 0));
  if (format === 'q6_k') return { scale: ((hs & 255) << 24) >> 24, min: 0 };
  return { scale: hs & 63, min: (hs >>> 6) & 63 };
}

/** Weight `idx` of a k-quant tensor: d * scale * q - dmin * min (q4_k, q5_k) or d * scale * (q - 32) (q6_k). */
function kWeight(format: KFormat, seed: number, ampLog2: number, idx: number): number {
  const block = Math.floor(idx / KBLOCK);
  const i = idx % KBLOCK;
  const q = weightCode(format, seed, idx);
  const { d, dmin } = kBlockScales(format, seed, ampLog2, block);
  if (format === 'q6_k') return d * kSubScales(format, seed, block, i >> 4).scale * (q - 32);
  const { scale, min } = kSubScales(format, seed, block, i >> 5);
  return d * scale * q - dmin * min;
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
    case 'bf16':
      return q * 2 ** (ampLog2 - 7);
    case 'q8_0':
      return blockScale(format, seed, ampLog2, Math.floor(idx / QBLOCK)) * q;
    case 'q4_0':
      return blockScale(format, seed, ampLog2, Math.floor(idx / QBLOCK)) * (q - 8);
    default:
      return kWeight(format, seed, ampLog2, idx);
  }
}

/** Block `block` of a k-quant tensor into out[o .. o + 256): as kWeight, each scale hashed once per block. */
function kBlockInto(format: KFormat, seed: number, ampLog2: number, block: number, out: Float32Array, o: number): void {
  const { d, dmin } = kBlockScales(format, seed, ampLog2, block);
  const group = format === 'q6_k' ? 16 : 32;
  for (let j = 0; j < KBLOCK / group; j++) {
    const { scale, min } = kSubScales(format, seed, block, j);
    for (let e = j * group; e < (j + 1) * group; e++) {
      const q = weightCode(format, seed, block * KBLOCK + e);
      out[o + e] = format === 'q6_k' ? d * scale * (q - 32) : d * scale * q - dmin * min;
    }
  }
}

/** Rows rowStart .. rowStart+rows-1 dequantised, row-major (rows x cols). */
export function dequantRows(format: WeightFormat, seed: number, ampLog2: number, rowStart: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  if (format === 'q4_k' || format === 'q5_k' || format === 'q6_k') {
    const first = (rowStart * cols) / KBLOCK;
    for (let b = 0; b < (rows * cols) / KBLOCK; b++) kBlockInto(format, seed, ampLog2, first + b, out, b * KBLOCK);
    return out;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = weightRef(format, seed, ampLog2, rowStart + r, c, cols);
  }
  return out;
}
