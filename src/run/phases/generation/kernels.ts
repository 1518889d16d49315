/**
 * Kernel-level figures of a built model: each decode projection timed alone (bytes read over time,
 * against the read ceiling), and a per-kernel profile of a decode step and a prefill.
 */
import type { Resources } from '../../../gpu/buffers';
import type { Timer } from '../../../measure/timer';
import { Timestamps } from '../../../measure/timestamps';
import type { ForwardOps } from '../../../model/model';
import type { GpuWork } from '../../../core/work';
import type { KernelTime, Workload } from '../../../schema/result';
import type { GenEnv } from './env';

/** Untimed and timed samples of each decode GEMV measurement. */
const GEMV_WARMUP = 2;
const GEMV_REPS = 7;

/** Each decode projection of `f` (layer 0 and the head) timed alone: bytes read per call over the median time. */
export async function measureGemv(env: GenEnv, timer: Timer, f: ForwardOps, pos: number): Promise<NonNullable<Workload['gemv']>> {
  const out: NonNullable<Workload['gemv']> = [];
  for (const [role, op] of Object.entries(f.linears)) {
    const readBytes = op.cost?.(pos).read;
    if (readBytes === undefined) throw new Error(`${op.label}: no cost to measure bandwidth against`);
    const timing = await timer.measure(op, { warmup: GEMV_WARMUP, reps: GEMV_REPS, minSampleMs: 1, maxSubmitMs: env.maxSubmitMs, timeoutMs: env.timeoutMs, signal: env.signal });
    const gbps = readBytes / timing.perUnitNs.median;
    out.push({ role, kernel: op.label, readBytes, timing, gbps, ofReadCeiling: env.ceilings.readGBs ? gbps / env.ceilings.readGBs : null });
  }
  return out;
}

/** Encodes every op of `f` in its own timestamped pass (the prefill's last-row copy between body and head). */
function encodeProfile(device: GPUDevice, f: ForwardOps, ops: readonly GpuWork[], stamps: Timestamps): GPUCommandBuffer {
  const enc = device.createCommandEncoder({ label: 'profile' });
  ops.forEach((op, i) => {
    if (i === f.body.length && f.copyLastRow) {
      const c = f.copyLastRow;
      enc.copyBufferToBuffer(c.src, c.offset, c.dst, 0, c.bytes);
    }
    const pass = enc.beginComputePass({ label: `profile.${op.label}`, timestampWrites: stamps.pass(i) });
    op.encode(pass);
    pass.end();
  });
  stamps.resolve(enc, ops.length);
  return enc.finish();
}

/** Per-kernel time: every op in its own timestamped pass (a separate run, never mixed into the timed ones). */
export async function profile(env: GenEnv, res: Resources, f: ForwardOps): Promise<KernelTime[]> {
  const ops: GpuWork[] = [...f.body, ...f.head];
  const stamps = new Timestamps(env.device, ops.length, 'profile', res);
  env.device.queue.submit([encodeProfile(env.device, f, ops, stamps)]);
  const spans = await stamps.spansNs(ops.length, env.timeoutMs, 'profile');
  const byKernel = new Map<string, { dispatches: number; ns: number }>();
  ops.forEach((op, i) => {
    const name = op.label.split('.')[0] ?? op.label;
    const k = byKernel.get(name) ?? { dispatches: 0, ns: 0 };
    k.dispatches++;
    k.ns += spans[i] as number;
    byKernel.set(name, k);
  });
  const total = [...byKernel.values()].reduce((a, k) => a + k.ns, 0);
  return [...byKernel.entries()]
    .map(([kernel, k]) => ({ kernel, dispatches: k.dispatches, ns: k.ns, share: total > 0 ? k.ns / total : 0 }))
    .sort((a, b) => b.ns - a.ns);
}
