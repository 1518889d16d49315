/**
 * CPU reading of the GPU weight layouts (LAYOUTS in tensor.ts): value for value what
 * shaders/formats/<format>.wgsl decode. Also the GGML block decoders of the k-quants, which
 * src/model/formats/dequant.ts shares for GGUF bytes (a q4_k/q5_k block is the same bytes in both; a q6_k
 * block differs only in where its d lives). Products and differences are rounded to f32 where GGML computes
 * them in f32 (Math.fround), so a Float64Array output holds GGML's f32 weights exactly, widened.
 */
import { bf16FromBits, f16FromBits } from './numeric';
import { LAYOUTS, QBLOCK, type WeightFormat } from './tensor';

type Out = Float32Array | Float64Array;
const fr = Math.fround;

/** Unpacks the 6-bit scale and min of sub-block j from the 12 packed bytes at `p` (q4_k and q5_k). */
export function kScaleMin(b: Uint8Array, p: number, j: number): [scale: number, min: number] {
  if (j < 4) return [(b[p + j] as number) & 63, (b[p + j + 4] as number) & 63];
  const hi = b[p + j + 4] as number;
  return [(hi & 0xf) | (((b[p + j - 4] as number) >> 6) << 4), (hi >> 4) | (((b[p + j] as number) >> 6) << 4)];
}

/**
 * One q4_k (`five` false) or q5_k block of 256 weights from byte `p` (its d) into out[o ..]: per group g of
 * 64, sub-blocks 2g (low nibbles) and 2g + 1 (high nibbles) of the same 32 bytes, q5_k's fifth bits from qh.
 */
export function kBlock45(b: Uint8Array, p: number, five: boolean, out: Out, o: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const d = f16FromBits(dv.getUint16(p, true));
  const dmin = f16FromBits(dv.getUint16(p + 2, true));
  const sc = p + 4;
  const qh = p + 16;
  let qs = five ? p + 48 : p + 16;
  for (let g = 0; g < 4; g++) {
    const [s1, m1] = kScaleMin(b, sc, 2 * g);
    const [s2, m2] = kScaleMin(b, sc, 2 * g + 1);
    const d1 = fr(d * s1);
    const dm1 = fr(dmin * m1);
    const d2 = fr(d * s2);
    const dm2 = fr(dmin * m2);
    for (let l = 0; l < 32; l++) {
      const q = b[qs + l] as number;
      const h = five ? (b[qh + l] as number) : 0;
      const lo = (q & 0xf) + ((h >> (2 * g)) & 1) * 16;
      const hi = (q >> 4) + ((h >> (2 * g + 1)) & 1) * 16;
      out[o + 64 * g + l] = fr(fr(d1 * lo) - dm1);
      out[o + 64 * g + 32 + l] = fr(fr(d2 * hi) - dm2);
    }
    qs += 32;
  }
}

/**
 * One q6_k block of 256 weights whose 208 bytes of ql, qh and int8 scales start at `p`, with super-block
 * scale `d`. Weight i: half h = i / 128, quarter k = (i / 32) % 4, l = i % 32; its low nibble is in
 * ql[64h + 32(k & 1) + l] (high nibble when k >= 2), its high pair in bits 2k.. of qh[32h + l], its scale is
 * scales[i / 16].
 */
export function q6kBlock(b: Uint8Array, p: number, d: number, out: Out, o: number): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let half = 0; half < 2; half++) {
    const ql = p + 64 * half;
    const qh = p + 128 + 32 * half;
    const sc = p + 192 + 8 * half;
    const y = o + 128 * half;
    for (let l = 0; l < 32; l++) {
      const is = l >> 4;
      const a = b[ql + l] as number;
      const c = b[ql + l + 32] as number;
      const h = b[qh + l] as number;
      const q1 = ((a & 0xf) | ((h & 3) << 4)) - 32;
      const q2 = ((c & 0xf) | (((h >> 2) & 3) << 4)) - 32;
      const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
      const q4 = ((c >> 4) | (((h >> 6) & 3) << 4)) - 32;
      out[y + l] = fr(fr(d * dv.getInt8(sc + is)) * q1);
      out[y + l + 32] = fr(fr(d * dv.getInt8(sc + is + 2)) * q2);
      out[y + l + 64] = fr(fr(d * dv.getInt8(sc + is + 4)) * q3);
      out[y + l + 96] = fr(fr(d * dv.getInt8(sc + is + 6)) * q4);
    }
  }
}

/** The i-th f16 of a byte array (two per u32 word, the lower index in the low half). */
function half(b: Uint8Array, i: number): number {
  return f16FromBits((b[2 * i] as number) | ((b[2 * i + 1] as number) << 8));
}

/** Block `blk` of a q8_0 / q4_0 part: scale * code, codes in the layout's order (tensor.ts). */
function q8q4(format: 'q8_0' | 'q4_0', data: Uint8Array, scales: Uint8Array, blk: number, out: Out, o: number): void {
  const d = half(scales, blk);
  for (let i = 0; i < QBLOCK; i++) {
    const e = blk * QBLOCK + i;
    if (format === 'q8_0') out[o + i] = fr(d * (((data[e] as number) << 24) >> 24));
    else out[o + i] = fr(d * ((((data[e >> 1] as number) >> (4 * (e & 1))) & 15) - 8));
  }
}

/**
 * The first `n` weights (whole blocks) of a part held in `format`'s GPU layout: `data` and `scales` are the
 * bytes of its data and scale arrays (scales null for formats without one), into out[o .. o + n).
 */
export function dequantLayout(format: WeightFormat, data: Uint8Array, scales: Uint8Array | null, n: number, out: Out = new Float64Array(n), o = 0): Out {
  const l = LAYOUTS[format];
  if (n % l.block !== 0) throw new Error(`${n} weights are not whole ${format} blocks of ${l.block}`);
  const blocks = n / l.block;
  if (data.length < blocks * l.data) throw new RangeError(`${n} ${format} weights need ${blocks * l.data} data bytes, have ${data.length}`);
  if (l.scales && (scales?.length ?? 0) < blocks * l.scales) throw new RangeError(`${n} ${format} weights need ${blocks * l.scales} scale bytes`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (format === 'f32') for (let i = 0; i < n; i++) out[o + i] = dv.getFloat32(4 * i, true);
  else if (format === 'f16') for (let i = 0; i < n; i++) out[o + i] = half(data, i);
  else if (format === 'bf16') for (let i = 0; i < n; i++) out[o + i] = bf16FromBits(dv.getUint16(2 * i, true));
  else {
    for (let blk = 0; blk < blocks; blk++) {
      const y = o + blk * l.block;
      if (format === 'q8_0' || format === 'q4_0') q8q4(format, data, scales as Uint8Array, blk, out, y);
      else if (format === 'q6_k') q6kBlock(data, blk * l.data, half(scales as Uint8Array, blk), out, y);
      else kBlock45(data, blk * l.data, format === 'q5_k', out, y);
    }
  }
  return out;
}
