/**
 * Operands of checks and tuning fixtures: buffers of reproducible random values with their CPU twins,
 * buffers of given values, NaN poison and read-backs. Everything is created in the context's resources.
 */
import { type Resources, createBuffer, readBuffer } from '../gpu/buffers';
import { fillConst, fillHash } from './fill';
import { type KvType, packKv, unpackKv } from './kv';
import { hashValue } from './numeric';

/** Where a check's operands live and how long a read-back may take. */
export interface CheckContext {
  device: GPUDevice;
  res: Resources;
  timeoutMs: number;
}

/** A buffer holding `count` fill_hash values (seed, scale) and their CPU twin. */
export async function hashed(
  ctx: CheckContext,
  label: string,
  count: number,
  seed: number,
  scale = 1,
): Promise<{ buf: GPUBuffer; values: Float32Array }> {
  const buf = createBuffer(ctx.device, ctx.res, label, count * 4);
  await fillHash(ctx.device, ctx.res, buf, count, seed, scale);
  return { buf, values: Float32Array.from({ length: count }, (_, i) => hashValue(seed, i, scale)) };
}

/** Fills the first `count` f32 of `buf` with NaN: outputs a kernel fails to write stay NaN and fail the check. */
export function poison(ctx: CheckContext, buf: GPUBuffer, count: number): Promise<void> {
  return fillConst(ctx.device, ctx.res, buf, count, NaN);
}

/** A buffer holding `values` as u32 (states, token ids). */
export function u32Buffer(ctx: CheckContext, label: string, values: ArrayLike<number>): GPUBuffer {
  const buf = createBuffer(ctx.device, ctx.res, label, values.length * 4);
  ctx.device.queue.writeBuffer(buf, 0, Uint32Array.from(values));
  return buf;
}

/** A buffer holding `values` as f32 (inputs with planted values, caches with poisoned tails). */
export function f32Buffer(ctx: CheckContext, label: string, values: ArrayLike<number>): GPUBuffer {
  const buf = createBuffer(ctx.device, ctx.res, label, values.length * 4);
  ctx.device.queue.writeBuffer(buf, 0, Float32Array.from(values));
  return buf;
}

/** Writes `values` as u32 at the start of `buf` (queue-ordered before the next submit). */
export function writeU32(ctx: CheckContext, buf: GPUBuffer, values: ArrayLike<number>): void {
  ctx.device.queue.writeBuffer(buf, 0, Uint32Array.from(values));
}

/** Writes `values` as f32 at the start of `buf` (queue-ordered before the next submit). */
export function writeF32(ctx: CheckContext, buf: GPUBuffer, values: ArrayLike<number>): void {
  ctx.device.queue.writeBuffer(buf, 0, Float32Array.from(values));
}

/** The first `count` f32 of `buf`. */
export async function readF32(ctx: CheckContext, buf: GPUBuffer, count: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx.device, buf, ctx.timeoutMs, 0, count * 4));
}

/** The first `count` u32 of `buf`. */
export async function readU32(ctx: CheckContext, buf: GPUBuffer, count: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(ctx.device, buf, ctx.timeoutMs, 0, count * 4));
}

/** A KV-cache buffer holding `values` as a `kvType` cache stores them (f16: rounded, packed; NaN kept). */
export function kvBuffer(ctx: CheckContext, label: string, kvType: KvType, values: ArrayLike<number>): GPUBuffer {
  const bytes = packKv(kvType, values);
  const buf = createBuffer(ctx.device, ctx.res, label, bytes.byteLength);
  ctx.device.queue.writeBuffer(buf, 0, bytes);
  return buf;
}

/** Writes `values` into a `kvType` cache buffer (queue-ordered before the next submit). */
export function writeKv(ctx: CheckContext, buf: GPUBuffer, kvType: KvType, values: ArrayLike<number>): void {
  ctx.device.queue.writeBuffer(buf, 0, packKv(kvType, values));
}

/** The first `count` values of a `kvType` cache buffer, widened to f32. */
export async function readKv(ctx: CheckContext, buf: GPUBuffer, kvType: KvType, count: number): Promise<Float32Array> {
  const bytes = await readBuffer(ctx.device, buf, ctx.timeoutMs, 0, 4 * (kvType === 'f16' ? Math.ceil(count / 2) : count));
  return unpackKv(kvType, bytes, count);
}
