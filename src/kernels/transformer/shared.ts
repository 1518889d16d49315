/**
 * Conventions shared by the transformer building blocks. `state` is array<u32> [pos, generated-token
 * counter]. A batch of `rows` rows is a prefill of sequence 0 (posStep 1: row t at position state[0] + t)
 * or one decode step of `rows` sequences (posStep 0: row b is sequence b at position state[0]).
 */

/** Row posStep: 1 for a prefill chunk of sequence 0, 0 for a decode step over sequences 0..rows-1. */
export type PosStep = 0 | 1;

/** Threads per workgroup of the element-wise kernels (rope, kvWrite, ropeKv). */
export const ELEMENTWISE_WG = 256;
/** Threads per workgroup of the row reductions (rmsnorm, argmax): one workgroup per row. */
export const ROW_WG = 256;

export function u32Words(...words: number[]): ArrayBuffer {
  return new Uint32Array(words).buffer;
}

/** A 1-D grid of `threads` threads as (x, y) workgroups within the per-dimension limit (kernels fold y). */
export function grid(device: GPUDevice, threads: number, wg: number): [number, number] {
  const groups = Math.ceil(threads / wg);
  const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  return [x, Math.ceil(groups / x)];
}

/** Throws unless rows is a positive integer (and, when rows index a grid dimension, within its limit). */
export function assertRows(device: GPUDevice, label: string, rows: number, perDimension = true): void {
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`${label}: rows must be a positive integer, got ${rows}`);
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (perDimension && rows > max) throw new Error(`${label}: ${rows} rows exceed ${max} workgroups per dimension`);
}
