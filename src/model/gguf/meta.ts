/** Typed access to GGUF metadata: a missing key or a value of the wrong type is a GgufError naming the key. */
import { GgufError, type GgufMetadata, type GgufValue } from './types';

function describe(v: GgufValue): string {
  return v.type === 'array' ? `an array of ${v.itemType}` : `a ${v.type}`;
}

function missing(key: string): never {
  throw new GgufError('bad-metadata', `GGUF metadata "${key}" is missing`);
}

function wrong(key: string, v: GgufValue, wanted: string): never {
  throw new GgufError('bad-metadata', `GGUF metadata "${key}" should be ${wanted}, but is ${describe(v)}`);
}

function toNumber(key: string, v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('bad-metadata', `GGUF metadata "${key}" (${v}) is too large`);
    return Number(v);
  }
  return v;
}

/** A numeric value (any integer or float type; 64-bit integers within 2^53). */
export function metaNumber(meta: GgufMetadata, key: string): number;
export function metaNumber(meta: GgufMetadata, key: string, fallback: number): number;
export function metaNumber(meta: GgufMetadata, key: string, fallback?: number): number {
  const v = meta.get(key);
  if (v === undefined) return fallback ?? missing(key);
  if (v.type === 'string' || v.type === 'bool' || v.type === 'array') return wrong(key, v, 'a number');
  return toNumber(key, v.value);
}

export function metaString(meta: GgufMetadata, key: string): string;
export function metaString(meta: GgufMetadata, key: string, fallback: string): string;
export function metaString(meta: GgufMetadata, key: string, fallback?: string): string {
  const v = meta.get(key);
  if (v === undefined) return fallback ?? missing(key);
  return v.type === 'string' ? v.value : wrong(key, v, 'a string');
}

export function metaBool(meta: GgufMetadata, key: string, fallback: boolean): boolean {
  const v = meta.get(key);
  if (v === undefined) return fallback;
  return v.type === 'bool' ? v.value : wrong(key, v, 'a bool');
}

/** An array of strings (tokenizer.ggml.tokens, .merges), or undefined when absent. */
export function metaStrings(meta: GgufMetadata, key: string): string[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  return v.type === 'array' && v.itemType === 'string' ? (v.value as string[]) : wrong(key, v, 'an array of strings');
}

/** An array of numbers (scores, token types), or undefined when absent. */
export function metaNumbers(meta: GgufMetadata, key: string): number[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array' || ['string', 'bool', 'array'].includes(v.itemType)) return wrong(key, v, 'an array of numbers');
  return (v.value as (number | bigint)[]).map((x) => toNumber(key, x));
}

/**
 * A per-layer hyper-parameter that GGUF may store as one number or as an array with one entry per layer
 * (feed_forward_length, head_count, head_count_kv): the number, when every layer agrees.
 */
export function metaUniform(meta: GgufMetadata, key: string, fallback?: number): number {
  const v = meta.get(key);
  if (v?.type !== 'array') return fallback === undefined ? metaNumber(meta, key) : metaNumber(meta, key, fallback);
  const all = metaNumbers(meta, key) ?? [];
  const first = all[0];
  if (first === undefined || all.some((x) => x !== first)) {
    throw new GgufError('bad-metadata', `GGUF metadata "${key}" differs between layers ([${all.join(', ')}]); tokenbench needs every layer alike`);
  }
  return first;
}
