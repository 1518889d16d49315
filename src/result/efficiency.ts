/**
 * Data of the efficiency views (the charts only draw it): the roofline of a result and its throughput vs
 * interactivity curves from batched decode. Pure: no DOM.
 *
 * Roofline: arithmetic intensity (FLOP per byte moved) vs achieved GFLOP/s. Ceilings are this run's
 * read-bandwidth probe (GB/s × FLOP/B = GFLOP/s), its f32 FMA peak, and (where the matmul phase measured
 * it) the matrix units' f16 GEMM: work on the matrix units is drawn under that roof, never the f32 one. Points: every `ok` kernel measurement
 * that states both its FLOPs and bytes (matmul), and every token test, with FLOPs and bytes from the
 * model accounting that the bounds in the result use (decode: mean context over the run; prefill: the
 * weights read once plus the prompt's KV-cache writes, activations ignored).
 */
import { decodeBytesPerToken, flopsPerToken, kvCacheBytes, prefillFlops, weightBytes } from '../model/accounting';
import type { ModelFormat } from '../model/formats/mix';
import type { BenchResult, KvType, TokenTest, Workload } from '../schema/result';
import { runKvType } from './peers';

export interface RooflinePoint {
  label: string;
  kind: 'kernel' | 'prefill' | 'decode';
  /** FLOP per byte. */
  intensity: number;
  /** Achieved GFLOP/s. */
  gflops: number;
  /** The roof it belongs under: the vector units (f32 FMA) or the matrix units (f16 subgroup-matrix GEMM). */
  units: 'vector' | 'matrix';
}

export interface Roofline {
  /** Read bandwidth, GB/s (null when the probe produced no valid figure). */
  bandwidthGBs: number | null;
  /** f32 FMA peak, GFLOP/s. */
  peakGflops: number | null;
  /** Best f16 GEMM on the matrix units, GFLOP/s (null when not measured). */
  matrixPeakGflops: number | null;
  /** Intensity where the two ceilings meet, FLOP/B. */
  ridge: number | null;
  points: RooflinePoint[];
}

function metric(r: BenchResult, id: string): number | null {
  for (const p of r.phases) for (const m of p.measurements) if (m.id === id && m.state === 'ok') return m.metric.median;
  return null;
}

/**
 * FLOPs and bytes per token of a token test (null when the accounting cannot be computed), with the run's
 * KV-cache type (runKvType: f32 for results from before the setting).
 */
export function testWork(w: Workload, t: TokenTest, kvType: KvType = 'f32'): { flops: number; bytes: number } | null {
  try {
    // A model file's bytes are its own layout's (the workload's accounting, each decode test's traffic).
    const file = w.source?.kind === 'gguf' || w.format === 'mixed';
    if (t.kind === 'prefill') {
      const P = t.promptLen || t.tokens;
      const weights = file ? w.accounting?.weightBytes : weightBytes(w.arch, w.format as ModelFormat).total;
      if (weights === undefined) return null;
      const bytes = weights + kvCacheBytes(w.arch, P, 1, kvType);
      return { flops: prefillFlops(w.arch, P) / P, bytes: bytes / P };
    }
    const ctx = t.depth + t.tokens / 2;
    const bytes = file ? t.traffic?.neededPerToken : decodeBytesPerToken(w.arch, w.format as ModelFormat, ctx, t.batch, undefined, kvType).perToken;
    return bytes === undefined ? null : { flops: flopsPerToken(w.arch, ctx), bytes };
  } catch {
    return null;
  }
}

/** Measurements on the matrix units (the subgroup-matrix GEMM). */
function onMatrixUnits(id: string): boolean {
  return id.startsWith('matmul-f16-sgmat-');
}

export function rooflineOf(r: BenchResult): Roofline {
  const bandwidthGBs = metric(r, 'read-bandwidth');
  const peakGflops = metric(r, 'fma-f32');
  const matrix = r.phases.flatMap((p) => p.measurements).flatMap((m) => (m.state === 'ok' && onMatrixUnits(m.id) ? [m.metric.median] : []));
  const points: RooflinePoint[] = [];
  const kvType = runKvType(r);
  for (const p of r.phases) {
    for (const m of p.measurements) {
      if (m.state !== 'ok' || !m.work.flops || !m.work.bytes) continue;
      const gflops = m.metric.unit === 'GFLOP/s' ? m.metric.median : (m.metric.median * m.work.flops) / m.work.bytes;
      points.push({ label: m.label, kind: 'kernel', intensity: m.work.flops / m.work.bytes, gflops, units: onMatrixUnits(m.id) ? 'matrix' : 'vector' });
    }
    for (const w of p.workloads ?? []) {
      if (w.state !== 'ok') continue;
      for (const t of w.tests) {
        const work = testWork(w, t, kvType);
        if (!work || !(work.bytes > 0)) continue;
        const tokPerSec = (t.gpu ?? t.wall).median;
        const units = t.arithmetic === 'f16-inputs' ? 'matrix' : 'vector';
        points.push({ label: `${w.arch.name} ${w.format} ${t.name}`, kind: t.kind, intensity: work.flops / work.bytes, gflops: (work.flops * tokPerSec) / 1e9, units });
      }
    }
  }
  const ridge = bandwidthGBs && peakGflops ? peakGflops / bandwidthGBs : null;
  const matrixPeakGflops = matrix.length ? Math.max(...matrix) : null;
  return { bandwidthGBs, peakGflops, matrixPeakGflops, ridge, points: points.filter((p) => p.intensity > 0 && p.gflops > 0) };
}

export interface ThroughputPoint {
  batch: number;
  /** Tokens per second per sequence: what one user sees (interactivity). */
  perSequence: number;
  /** Aggregate tokens per second over the batch. */
  aggregate: number;
}

export interface ThroughputCurve {
  label: string;
  points: ThroughputPoint[];
}

/** Per workload: decode tests at the shallowest depth, by batch (batch 1 included). */
export function throughputCurves(r: BenchResult, labelPrefix = ''): ThroughputCurve[] {
  const out: ThroughputCurve[] = [];
  for (const p of r.phases) {
    for (const w of p.workloads ?? []) {
      if (w.state !== 'ok') continue;
      const decodes = w.tests.filter((t) => t.kind === 'decode');
      if (!decodes.length) continue;
      const depth = Math.min(...decodes.map((t) => t.depth));
      const points = decodes
        .filter((t) => t.depth === depth)
        .map((t) => {
          const aggregate = (t.gpu ?? t.wall).median;
          return { batch: t.batch, aggregate, perSequence: t.perSequence ?? aggregate / t.batch };
        })
        .sort((a, b) => a.batch - b.batch);
      out.push({ label: `${labelPrefix}${w.arch.name} ${w.format}${depth ? ` @d${depth}` : ''}`, points });
    }
  }
  return out;
}
