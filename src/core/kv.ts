/**
 * The attention KV cache's element type: f32, or f16 packed two per u32 word (element 2i in the low half
 * of word i, as WGSL's pack2x16float / unpack2x16float lay them out, so the f16 cache needs no
 * shader-f16). Bytes per element, the default for an adapter, and the CPU side of the packing that the
 * references and checks use. The WGSL side is shaders/kv/{load,store}_{f16,f32}.wgsl.
 */
import type { KvType } from '../schema/result';
import { f16Bits, f16FromBits, f16round } from './numeric';

export type { KvType };

/** Every KV-cache type (tests and option help iterate over them). */
export const KV_TYPES: readonly KvType[] = ['f16', 'f32'];

/** Bytes one cached K or V value takes. */
export function kvElementBytes(kvType: KvType): number {
  return kvType === 'f16' ? 2 : 4;
}

/**
 * The KV-cache type of a run that did not ask for one: f16 (llama.cpp's default) where the adapter
 * has shader-f16, f32 elsewhere. f16 runs everywhere (packed); the default keeps f32 where f16
 * arithmetic is not native, as llama.cpp's WebGPU backend needs shader-f16 for its f16 cache.
 */
export function defaultKvType(device: { features: { has(feature: string): boolean } }): KvType {
  return device.features.has('shader-f16') ? 'f16' : 'f32';
}

/**
 * The value a float64 reference caches for x: rounded to f16 (ties to even) in an f16 cache, as the
 * kernels store it; x itself in an f32 cache (its f32 rounding is far below every tolerance).
 */
export function kvRound(kvType: KvType, x: number): number {
  return kvType === 'f16' ? f16round(x) : x;
}

/** Throws unless a head can be cached in `kvType`: f16 words pair elements 2i, 2i + 1 of one head. */
export function assertKvHeadDim(label: string, headDim: number, kvType: KvType): void {
  if (kvType === 'f16' && headDim % 2 !== 0) {
    throw new Error(`${label}: headDim ${headDim} must be even for an f16 KV cache (two values per u32 word)`);
  }
}

/** f16 bits of a cache value: NaN and infinities kept (checks poison caches with NaN). */
function kvF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const r = f16round(x);
  if (!Number.isFinite(r)) return r > 0 ? 0x7c00 : 0xfc00;
  return f16Bits(r);
}

/** `values` as the cache stores them (f32, or f16 rounded and packed; an even count for f16). */
export function packKv(kvType: KvType, values: ArrayLike<number>): ArrayBuffer {
  if (kvType === 'f32') return Float32Array.from(values).buffer;
  if (values.length % 2 !== 0) throw new Error(`packKv: an f16 cache holds whole words, got ${values.length} values`);
  const words = new Uint32Array(values.length / 2);
  for (let i = 0; i < words.length; i++) words[i] = (kvF16Bits(values[2 * i] as number) | (kvF16Bits(values[2 * i + 1] as number) << 16)) >>> 0;
  return words.buffer;
}

/** The `count` values held in cache bytes `bytes` (the inverse of packKv, f16 widened exactly). */
export function unpackKv(kvType: KvType, bytes: ArrayBuffer, count: number): Float32Array {
  if (kvType === 'f32') return new Float32Array(bytes, 0, count).slice();
  const words = new Uint32Array(bytes, 0, Math.ceil(count / 2));
  return Float32Array.from({ length: count }, (_, i) => f16FromBits(((words[i >> 1] as number) >>> (16 * (i & 1))) & 0xffff));
}
