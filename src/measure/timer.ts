/**
 * The timer. GPU timestamps (timestampWrites at compute-pass boundaries) when `timestamp-query` exists,
 * else wall clock around submit → onSubmittedWorkDone with enough units per submit to dwarf the round
 * trip. Either way: calibrate units per sample, warm up, then take repetitions and keep raw samples.
 */
import calibrateWgsl from '../../shaders/measure/timer_calibrate.wgsl?raw';
import type { Timing, TimerInfo } from '../schema/result';
import { perUnitSummary, summarize } from './stats';
import { queueDone } from '../gpu/buffers';
import { type CancelSignal, throwIfCancelled } from '../gpu/errors';
import { detectQuantum, observeClock } from './resolution';
import { getPipeline } from '../gpu/wgsl';
import { Timestamps } from './timestamps';
import type { GpuWork as Work } from '../core/work';

const CALIBRATE_THREADS = 64 * 256;

/** A tiny real dispatch, so calibration passes take measurable time. */
async function calibrationWork(device: GPUDevice): Promise<{ work: Work; buffer: GPUBuffer }> {
  const pipeline = await getPipeline(device, { label: 'timer_calibrate', code: calibrateWgsl, constants: { WG: 64 } });
  const buffer = device.createBuffer({ label: 'timer_calibrate.out', size: 4 * CALIBRATE_THREADS, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({
    label: 'timer_calibrate.bind',
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer } }],
  });
  return {
    buffer,
    work: {
      label: 'timer_calibrate',
      encode(pass) {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(CALIBRATE_THREADS / 64);
      },
    },
  };
}


export interface MeasurePlan {
  /** Untimed samples before measuring (caches, clocks, pipeline first-use). */
  warmup: number;
  /** Timed samples kept. */
  reps: number;
  /** Each sample should last at least this long (ms); units per sample grow until it does. */
  minSampleMs: number;
  /** No submit may carry more than this much GPU work (ms): keeps clear of OS/browser GPU watchdogs. */
  maxSubmitMs: number;
  /** Timeout for each await on the GPU (ms). */
  timeoutMs: number;
  /** Most units of work in one sample. */
  maxUnits?: number;
  signal?: CancelSignal;
}

export interface Timer {
  readonly info: TimerInfo;
  measure(work: Work, plan: MeasurePlan): Promise<Timing>;
}

/** Samples must span at least this many timer quanta, so rounding costs at most 1/20 = 5%. */
export const QUANTA_PER_SAMPLE = 20;
/** Wall-clock samples must span at least this many submit round trips. */
const ROUND_TRIPS_PER_SAMPLE = 50;
const DEFAULT_MAX_UNITS = 1 << 14;
const CALIBRATION_PASSES = 24;

async function measureRoundTrip(device: GPUDevice, timeoutMs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    device.queue.submit([device.createCommandEncoder({ label: 'timer.roundtrip' }).finish()]);
    await queueDone(device, timeoutMs, 'timer round-trip probe');
    times.push((performance.now() - t0) * 1e6);
  }
  return summarize(times.slice(2)).median;
}

/** Runs `count` passes of `units` units each, every pass its own timestamp span; returns the spans in ns. */
async function timestampSamples(device: GPUDevice, work: Work, units: number, count: number, timeoutMs: number): Promise<number[]> {
  const stamps = new Timestamps(device, count, 'timer');
  try {
    const enc = device.createCommandEncoder({ label: `${work.label}.timed` });
    for (let s = 0; s < count; s++) {
      const pass = enc.beginComputePass({ label: `${work.label}.pass`, timestampWrites: stamps.pass(s) });
      for (let u = 0; u < units; u++) work.encode(pass);
      pass.end();
    }
    stamps.resolve(enc, count);
    device.queue.submit([enc.finish()]);
    return await stamps.spansNs(count, timeoutMs, work.label);
  } finally {
    stamps.destroy();
  }
}

/** Raw begin/end values of `count` one-unit passes of `work` (timer calibration reads the quantum from them). */
async function timestampRaw(device: GPUDevice, work: Work, count: number, timeoutMs: number): Promise<bigint[]> {
  const stamps = new Timestamps(device, count, 'timer.calibrate');
  try {
    const enc = device.createCommandEncoder({ label: `${work.label}.calibrate` });
    for (let s = 0; s < count; s++) {
      const pass = enc.beginComputePass({ label: `${work.label}.pass`, timestampWrites: stamps.pass(s) });
      work.encode(pass);
      pass.end();
    }
    stamps.resolve(enc, count);
    device.queue.submit([enc.finish()]);
    return await stamps.raw(count, timeoutMs);
  } finally {
    stamps.destroy();
  }
}

export interface TimerOptions {
  forceWallClock: boolean;
  timeoutMs: number;
}

export async function createTimer(device: GPUDevice, opts: TimerOptions): Promise<Timer> {
  const roundTripNs = await measureRoundTrip(device, opts.timeoutMs);
  const canTimestamp = device.features.has('timestamp-query');
  if (canTimestamp && !opts.forceWallClock) {
    const cal = await calibrationWork(device);
    let raw: bigint[];
    try {
      raw = await timestampRaw(device, cal.work, CALIBRATION_PASSES, opts.timeoutMs);
    } finally {
      cal.buffer.destroy();
    }
    const res = detectQuantum(raw);
    if (res.quantumNs > 0) {
      const info: TimerInfo = {
        source: 'gpu-timestamp',
        resolutionNs: res.quantumNs,
        quantized: res.quantized,
        roundTripNs,
        notes: res.quantized
          ? `GPU timestamps are quantised to ${res.quantumNs} ns (browsers do this unless WebGPU developer ` +
            `features are enabled); every sample spans >= ${QUANTA_PER_SAMPLE} quanta.`
          : `GPU timestamps at compute-pass boundaries, unquantised (step ${res.quantumNs} ns).`,
      };
      return makeTimestampTimer(info, device, opts.timeoutMs);
    }
    return makeWallTimer(device, roundTripNs, 'timestamp queries returned constant values; fell back to wall clock. ');
  }
  return makeWallTimer(
    device,
    roundTripNs,
    canTimestamp ? 'wall clock requested. ' : 'timestamp-query not supported by this adapter. ',
  );
}

type SampleFn = (units: number, count: number) => Promise<number[]>;

/** Shared calibrate → warm up → repeat loop; `minNs` is the shortest acceptable sample. */
async function runPlan(work: Work, plan: MeasurePlan, minNs: number, sample: SampleFn, batchable: boolean) {
  const maxUnits = plan.maxUnits ?? DEFAULT_MAX_UNITS;
  const maxSubmitNs = plan.maxSubmitMs * 1e6;
  // Never ask a sample to be longer than a submit may be.
  const target = Math.min(Math.max(plan.minSampleMs * 1e6, minNs), maxSubmitNs * 0.8);
  let units = 1;
  let t = (await sample(units, 1))[0] as number;
  for (let i = 0; i < 16 && t < target && units < maxUnits; i++) {
    throwIfCancelled(plan.signal);
    const grow = t > 0 ? Math.ceil((units * target * 1.1) / t) : units * 16;
    units = Math.min(maxUnits, Math.max(units * 2, grow));
    t = (await sample(units, 1))[0] as number;
  }
  // Pack several samples per submit when they are short, staying under the watchdog budget.
  const perSubmit = batchable ? Math.max(1, Math.min(plan.reps, Math.floor(maxSubmitNs / Math.max(t, 1)))) : 1;
  for (let done = 0; done < plan.warmup; done += perSubmit) {
    throwIfCancelled(plan.signal);
    await sample(units, Math.min(perSubmit, plan.warmup - done));
  }
  const samples: number[] = [];
  while (samples.length < plan.reps) {
    throwIfCancelled(plan.signal);
    samples.push(...(await sample(units, Math.min(perSubmit, plan.reps - samples.length))));
  }
  return {
    unitsPerSample: units,
    warmupSamples: plan.warmup,
    samplesNs: samples,
    perUnitNs: perUnitSummary(samples, units),
  };
}

function makeTimestampTimer(info: TimerInfo, device: GPUDevice, timeoutMs: number): Timer {
  return {
    info,
    async measure(work, plan) {
      const minNs = info.quantized ? QUANTA_PER_SAMPLE * info.resolutionNs : 0;
      const r = await runPlan(work, plan, minNs, (units, count) => timestampSamples(device, work, units, count, timeoutMs), true);
      await queueDone(device, timeoutMs, `${work.label} drain`);
      return { source: 'gpu-timestamp', ...r };
    },
  };
}

function makeWallTimer(device: GPUDevice, roundTripNs: number, why: string): Timer {
  const clock = observeClock();
  const resolutionNs = Math.max(clock.quantumNs, 1);
  const info: TimerInfo = {
    source: 'wall-clock',
    resolutionNs,
    quantized: clock.quantized,
    roundTripNs,
    notes:
      why +
      `Wall clock (performance.now, step ${resolutionNs} ns) around submit → onSubmittedWorkDone; each sample ` +
      `spans >= ${ROUND_TRIPS_PER_SAMPLE} round trips (${(roundTripNs / 1e3).toFixed(1)} µs each) and >= ` +
      `${QUANTA_PER_SAMPLE} clock steps, so figures include a small submit overhead.`,
  };
  return {
    info,
    async measure(work, plan) {
      const minNs = Math.max(ROUND_TRIPS_PER_SAMPLE * roundTripNs, QUANTA_PER_SAMPLE * resolutionNs);
      const sample: SampleFn = async (units) => {
        const enc = device.createCommandEncoder({ label: `${work.label}.timed` });
        const pass = enc.beginComputePass({ label: `${work.label}.pass` });
        for (let u = 0; u < units; u++) work.encode(pass);
        pass.end();
        const cmd = enc.finish();
        const t0 = performance.now();
        device.queue.submit([cmd]);
        await queueDone(device, plan.timeoutMs, work.label);
        return [(performance.now() - t0) * 1e6];
      };
      return { source: 'wall-clock', ...(await runPlan(work, plan, minNs, sample, false)) };
    },
  };
}
