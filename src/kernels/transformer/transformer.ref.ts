/**
 * CPU references (float64) for the transformer building blocks (rmsnorm.ts, rope.ts, embed.ts, argmax.ts), plus the packing of
 * CPU values into the QTensor layouts (src/core/tensor.ts) that the embedding tests and checks need.
 */
import { LAYOUTS, QBLOCK, type WeightFormat, dataBytes, scaleBytes } from '../../core/tensor';
import { dequantLayout } from '../../core/tensor.ref';
import { bf16FromBits, f16Bits, f16FromBits, mix32 } from '../../core/numeric';
import { type KvType, kvRound } from '../../core/kv';

/** rmsnorm: y[t,:] = x[t,:] * w / sqrt(mean(x[t,:]^2) + eps). */
export function rmsnormRef(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, dim: number, eps: number): Float64Array {
  const y = new Float64Array(rows * dim);
  for (let t = 0; t < rows; t++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += (x[t * dim + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[t * dim + i] = (x[t * dim + i] as number) * inv * (w[i] as number);
  }
  return y;
}

/**
 * RoPE inverse frequencies theta^(-2i/headDim), rounded to f32 as HF computes them (float32 tensor).
 * The kernel uploads exactly these values, so the reference and the GPU share them.
 */
export function ropeInvFreq(headDim: number, theta: number): Float32Array {
  const half = headDim / 2;
  return Float32Array.from({ length: half }, (_, i) => theta ** ((-2 * i) / headDim));
}

/** Position of row t: state[0] + t * posStep. */
export function rowPosition(pos0: number, t: number, posStep: number): number {
  return pos0 + t * posStep;
}

/** Sequence of row t: 0 for a prefill (posStep 1), t for a decode batch (posStep 0). */
export function rowSequence(t: number, posStep: number): number {
  return posStep === 1 ? 0 : t;
}

/** RoPE (rotate-half) of x [rows, heads * headDim], returning a new array. */
export function ropeRef(
  x: ArrayLike<number>,
  shape: { rows: number; heads: number; headDim: number; theta: number; invFreq?: ArrayLike<number> },
  pos0: number,
  posStep: number,
): Float64Array {
  const { rows, heads, headDim, theta } = shape;
  const half = headDim / 2;
  const inv = shape.invFreq ?? ropeInvFreq(headDim, theta);
  const y = Float64Array.from(x);
  for (let t = 0; t < rows; t++) {
    const pos = rowPosition(pos0, t, posStep);
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const angle = pos * (inv[i] as number);
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const a = x[base + i] as number;
        const b = x[base + i + half] as number;
        y[base + i] = a * c - b * s;
        y[base + i + half] = a * s + b * c;
      }
    }
  }
  return y;
}

/** Index of cache[seq][head][pos][d] in a [seqCap][kvHeads][ctxCap][headDim] cache. */
export function cacheIndex(
  shape: { kvHeads: number; headDim: number; ctxCap: number },
  seq: number,
  head: number,
  pos: number,
  d: number,
): number {
  return ((seq * shape.kvHeads + head) * shape.ctxCap + pos) * shape.headDim + d;
}

/**
 * kvWrite applied to copies of the caches: cache[seq(t)][h][pos(t)][:] = row t of head h, each value as
 * a `kvType` cache holds it (rounded to f16 in an f16 cache).
 */
export function kvWriteRef(
  caches: { k: ArrayLike<number>; v: ArrayLike<number> },
  rowsKV: { k: ArrayLike<number>; v: ArrayLike<number> },
  shape: { kvHeads: number; headDim: number; ctxCap: number; rows: number },
  pos0: number,
  posStep: number,
  kvType: KvType = 'f32',
): { k: Float64Array; v: Float64Array } {
  const k = Float64Array.from(caches.k);
  const v = Float64Array.from(caches.v);
  const { kvHeads, headDim, ctxCap, rows } = shape;
  for (let t = 0; t < rows; t++) {
    const pos = rowPosition(pos0, t, posStep);
    if (pos >= ctxCap) continue;
    const seq = rowSequence(t, posStep);
    for (let h = 0; h < kvHeads; h++) {
      for (let d = 0; d < headDim; d++) {
        const src = (t * kvHeads + h) * headDim + d;
        const dst = cacheIndex(shape, seq, h, pos, d);
        k[dst] = kvRound(kvType, rowsKV.k[src] as number);
        v[dst] = kvRound(kvType, rowsKV.v[src] as number);
      }
    }
  }
  return { k, v };
}

/** The per-head RMSNorm of rope_kv_norm: each head of x [rows * heads, headDim] times w / rms, in place. */
function headNormRef(x: Float64Array, headDim: number, w: ArrayLike<number>, eps: number): Float64Array {
  for (let h = 0; h < x.length / headDim; h++) {
    let ss = 0;
    for (let d = 0; d < headDim; d++) ss += (x[h * headDim + d] as number) ** 2;
    const inv = 1 / Math.sqrt(ss / headDim + eps);
    for (let d = 0; d < headDim; d++) x[h * headDim + d] = (x[h * headDim + d] as number) * inv * (w[d] as number);
  }
  return x;
}

/**
 * ropeKv on a fused QKV activation [rows, (heads + 2 * kvHeads) * headDim]: the rotated q rows
 * [rows, heads * headDim], and copies of the caches with rotated k and plain v appended (as kvWriteRef).
 * `invFreq` replaces theta^(-2i/headDim); with `qkNorm`, each q and k head is RMS-normalised first
 * (weights `w`: q's headDim values, then k's). In an f16 cache (`kvType`) K is rounded after RoPE and V
 * as copied, as the kernel stores them.
 */
export function ropeKvRef(
  qkv: ArrayLike<number>,
  caches: { k: ArrayLike<number>; v: ArrayLike<number> },
  shape: { rows: number; heads: number; kvHeads: number; headDim: number; theta: number; ctxCap: number; invFreq?: ArrayLike<number> },
  pos0: number,
  posStep: number,
  qkNorm?: { w: ArrayLike<number>; eps: number },
  kvType: KvType = 'f32',
): { q: Float64Array; k: Float64Array; v: Float64Array } {
  const { rows, heads, kvHeads, headDim, theta, ctxCap, invFreq } = shape;
  const nq = heads * headDim;
  const nkv = kvHeads * headDim;
  const stride = nq + 2 * nkv;
  const slice = (from: number, n: number) => {
    const out = new Float64Array(rows * n);
    for (let t = 0; t < rows; t++) for (let i = 0; i < n; i++) out[t * n + i] = qkv[t * stride + from + i] as number;
    return out;
  };
  const normed = (x: Float64Array, which: 0 | 1) =>
    qkNorm ? headNormRef(x, headDim, Array.from({ length: headDim }, (_, d) => qkNorm.w[which * headDim + d] as number), qkNorm.eps) : x;
  const freq = invFreq ? { invFreq } : {};
  const q = ropeRef(normed(slice(0, nq), 0), { rows, heads, headDim, theta, ...freq }, pos0, posStep);
  const k = ropeRef(normed(slice(nq, nkv), 1), { rows, heads: kvHeads, headDim, theta, ...freq }, pos0, posStep);
  const written = kvWriteRef(caches, { k, v: slice(nq + nkv, nkv) }, { rows, kvHeads, headDim, ctxCap }, pos0, posStep, kvType);
  return { q, ...written };
}

/** Embedding rows: x[t,:] = table[min(tokens[t], vocab - 1), :] (out-of-range ids clamp, as on the GPU). */
export function embedRef(tokens: ArrayLike<number>, table: ArrayLike<number>, vocab: number, hidden: number): Float64Array {
  const x = new Float64Array(tokens.length * hidden);
  for (let t = 0; t < tokens.length; t++) {
    const row = Math.min(tokens[t] as number, vocab - 1);
    for (let c = 0; c < hidden; c++) x[t * hidden + c] = table[row * hidden + c] as number;
  }
  return x;
}

/** Greedy argmax per row: ties to the lowest index, NaN never wins (all-NaN rows give 0). */
export function argmaxRef(logits: ArrayLike<number>, rows: number, vocab: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -1;
    let bestV = -Infinity;
    for (let i = 0; i < vocab; i++) {
      const v = logits[r * vocab + i] as number;
      if (Number.isNaN(v)) continue;
      if (best < 0 || v > bestV) {
        best = i;
        bestV = v;
      }
    }
    out[r] = Math.max(best, 0);
  }
  return out;
}

/** A weight matrix packed into one QTensor part's GPU layout, with the exact values it encodes. */
export interface PackedWeights {
  data: Uint32Array<ArrayBuffer>;
  /** Formats with a scale array (q8_0, q4_0, q6_k) only. */
  scales: Uint32Array<ArrayBuffer> | null;
  /** Dequantised values, row-major [rows, cols]. */
  values: Float64Array;
}

/**
 * k-quant blocks of random bytes (every quant, scale and min bit pattern occurs: any such block is valid)
 * whose f16 super-block scales are random finite halves of either sign from 2^-17 (subnormal) to 2^-6, with
 * the values the core CPU reading of the layout (tensor.ref.ts) decodes.
 */
function randomKBlocks(format: 'q4_k' | 'q5_k' | 'q6_k', n: number, next: () => number): PackedWeights {
  const data = new Uint32Array(dataBytes(format, n) / 4).map(() => next());
  const scales = format === 'q6_k' ? new Uint32Array(Math.ceil(scaleBytes(format, n) / 4)) : null;
  const half = () => f16Bits((next() & 1 ? -1 : 1) * 2 ** (-17 + (next() % 1100) / 100));
  const words = LAYOUTS[format].data / 4;
  for (let b = 0; b < n / LAYOUTS[format].block; b++) {
    if (scales) scales[b >> 1]! |= half() << (16 * (b & 1));
    else data[b * words] = half() | (half() << 16);
  }
  const bytes = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const values = dequantLayout(format, bytes(data), scales && bytes(scales), n) as Float64Array;
  return { data, scales, values };
}

/**
 * Random weights for a rows x cols matrix in `format`, generated as format codes (f16/bf16 bits, int8 / int4
 * codes, f16 scales, k-quant blocks) from `seed` and packed per the layout in src/core/tensor.ts, with the
 * values they decode to. Codes span their whole range (int8 -128..127, nibbles 0..15). Never zero-filled.
 */
export function packWeights(format: WeightFormat, rows: number, cols: number, seed: number): PackedWeights {
  const n = rows * cols;
  const values = new Float64Array(n);
  let s = mix32(seed >>> 0);
  const next = () => (s = mix32(s + 0x9e3779b9));
  const unit = () => (next() >>> 8) / 8388608 - 1; // [-1, 1), 24 bits
  switch (format) {
    case 'f32': {
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = f[i] = unit();
      return { data: new Uint32Array(f.buffer), scales: null, values };
    }
    case 'f16': {
      const data = new Uint32Array(Math.ceil(n / 2));
      for (let i = 0; i < n; i++) {
        const bits = f16Bits(unit());
        values[i] = f16FromBits(bits);
        data[i >> 1]! |= bits << (16 * (i & 1));
      }
      return { data, scales: null, values };
    }
    case 'bf16': {
      const data = new Uint32Array(Math.ceil(n / 2));
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        f[0] = unit();
        const bits = (u[0] as number) >>> 16;
        values[i] = bf16FromBits(bits);
        data[i >> 1]! |= bits << (16 * (i & 1));
      }
      return { data, scales: null, values };
    }
    case 'q4_k':
    case 'q5_k':
    case 'q6_k':
      if (cols % LAYOUTS[format].block !== 0) throw new Error(`packWeights: ${format} needs cols % 256 == 0, got ${cols}`);
      return randomKBlocks(format, n, next);
    case 'q8_0':
    case 'q4_0': {
      if (cols % QBLOCK !== 0) throw new Error(`packWeights: ${format} needs cols % ${QBLOCK} == 0, got ${cols}`);
      const blocks = n / QBLOCK;
      const scales = new Uint32Array(Math.ceil(blocks / 2));
      const scale = new Float64Array(blocks);
      for (let b = 0; b < blocks; b++) {
        // Scales in [2^-8, 2^-5): normal f16 values, mixed signs as real quantisers can produce.
        const bits = f16Bits((next() & 1 ? -1 : 1) * 2 ** -8 * (1 + (next() % 1024) / 146.3));
        scale[b] = f16FromBits(bits);
        scales[b >> 1]! |= bits << (16 * (b & 1));
      }
      const q8 = format === 'q8_0';
      const data = new Uint32Array(q8 ? n / 4 : n / 8);
      for (let i = 0; i < n; i++) {
        const code = next() & (q8 ? 0xff : 0xf);
        const q = q8 ? (code << 24) >> 24 : code - 8; // int8 two's complement / nibble - 8
        values[i] = (scale[Math.floor(i / QBLOCK)] as number) * q;
        if (q8) data[i >> 2]! |= code << (8 * (i & 3));
        else data[i >> 3]! |= code << (4 * (i & 7));
      }
      return { data, scales, values };
    }
  }
}
