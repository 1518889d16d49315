/**
 * Kernel-level figures of a built model: each decode projection timed alone (bytes read over time,
 * against the read ceiling), and a per-kernel profile of a decode step and a prefill.
 */
import { Resources } from '../../../gpu/buffers';
import { copiesFor, residency, residencyNote } from '../../../core/stream';
import { metricFrom } from '../../../measure/measure';
import type { Timer } from '../../../measure/timer';
import { Timestamps } from '../../../measure/timestamps';
import { type ForwardOps, type GpuModel, LINEAR_ROLES, type LinearRole } from '../../../model/model';
import { type GpuWork, rotate } from '../../../core/work';
import type { KernelTime, Workload } from '../../../schema/result';
import type { GenEnv } from './env';

/** Untimed and timed samples of each decode GEMV measurement. */
const GEMV_WARMUP = 2;
const GEMV_REPS = 7;

type GemvEntry = NonNullable<Workload['gemv']>[number];

/** The copies a streamed figure of `role` rotates through: every layer's, plus fresh ones up to the suite's target. */
async function streamSet(env: GenEnv, model: GpuModel, role: LinearRole, layers: readonly GpuWork[], bytes: number, res: Resources): Promise<GpuWork[]> {
  const want = env.stream ? copiesFor(bytes, env.stream.targetBytes, env.stream.maxCopies) : layers.length;
  const extra = Math.max(0, want - layers.length);
  return [...layers, ...(extra ? await model.linearCopies(role, 1, extra, res) : [])];
}

/**
 * One decode projection timed two ways: alone on one copy (cache-resident when it fits a cache: shown
 * for reference) and streamed through distinct copies (the figure). A streamed figure above the
 * measured read ceiling is implausible, never a result. The copies are the layers whose projection reads
 * what the first layer's does (a mix gives some layers' matrices more bits) and fresh copies of the first.
 */
async function gemvOf(env: GenEnv, timer: Timer, model: GpuModel, role: LinearRole, all: readonly GpuWork[], pos: number): Promise<GemvEntry> {
  const first = all[0] as GpuWork;
  const readBytes = first.cost?.(pos).read;
  if (readBytes === undefined) throw new Error(`${first.label}: no cost to measure bandwidth against`);
  const layers = all.filter((w) => w.label === first.label && w.cost?.(pos).read === readBytes);
  const plan = { warmup: GEMV_WARMUP, reps: GEMV_REPS, minSampleMs: 1, maxSubmitMs: env.maxSubmitMs, timeoutMs: env.timeoutMs, signal: env.signal };
  const resident = await timer.measure(first, plan);
  const res = new Resources();
  try {
    const copies = await streamSet(env, model, role, layers, readBytes, res);
    const timing = await timer.measure(rotate(`${first.label}.streamed`, copies), plan);
    const gbps = metricFrom(timing, readBytes, 'GB/s').median;
    const r = residency(copies.length, readBytes);
    const ceiling = env.ceilings.readGBs;
    const note = residencyNote(r);
    return {
      role,
      kernel: first.label,
      readBytes,
      timing,
      gbps,
      ofReadCeiling: ceiling ? gbps / ceiling : null,
      state: ceiling !== null && gbps > ceiling ? 'implausible' : 'ok',
      streamed: { ...r, ...(note ? { note } : {}) },
      resident: { timing: resident, gbps: metricFrom(resident, readBytes, 'GB/s').median },
    };
  } finally {
    res.destroyAll();
  }
}

/** Each decode projection (every layer's copy, and the head) timed streamed and resident: bytes read per call over the median time. */
export async function measureGemv(env: GenEnv, timer: Timer, model: GpuModel, f: ForwardOps, pos: number): Promise<NonNullable<Workload['gemv']>> {
  const out: NonNullable<Workload['gemv']> = [];
  for (const role of LINEAR_ROLES) out.push(await gemvOf(env, timer, model, role, f.linears[role], pos));
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
