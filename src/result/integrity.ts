/**
 * The integrity check of a result: every derived figure that its own raw samples (and the inputs stored
 * beside them) determine is recomputed with the functions the run used, and compared with the stored one.
 * A headline figure edited by hand no longer matches its samples, and is named:
 * `workload tiny-q4_0, test tg8: wall.median is 500 tok/s but its samples give 50 tok/s`.
 *
 * This is a consistency check, not a signature: whoever rewrites the samples as well (or fabricates a
 * whole result with the same functions) is not caught. It only says the figures a result reports are the
 * ones its samples give.
 *
 * Recomputed: token rates (median, p10, p90) of `gpu`, `gpuBusy`, `wall` and of every peer test from their
 * samples and tokens × batch; per-sequence rate; TTFT / TPOT; inter-token latency percentiles from
 * `stepNs`; the traffic ratio; efficiency from the rate and the stored bounds; every timing summary
 * (`perUnitNs`) and kernel metric (GB/s, GFLOP/s from the work amount); the decode GEMV GB/s; peer ratios;
 * the whole cost block from its inputs. Not recomputed (they need the run's device, model or ceilings,
 * not only the result): the bounds themselves, traffic bytes, GEMV shares of the read ceiling, the kernel
 * profile, drift, verification errors.
 *
 * Pure: no DOM, no Node.
 */
import { costOfResult, testRate } from '../cost/model';
import { metricFrom } from '../measure/measure';
import { latencyPercentiles, perUnitSummary, rateOf } from '../measure/stats';
import { aggregateTokens, efficiencyOf, medianMsPerToken, perSequenceRate, trafficRatio } from '../measure/token-figures';
import type { BenchResult, CostBlend, Peer, Timing, TokenTest, Workload } from '../schema/result';
import { peerRatios } from './peers';

export type Integrity = { ok: true } | { ok: false; problems: string[] };

type Rate = { median: number; p10: number; p90: number; samplesNs: number[] };

/**
 * The result with every token rate (tokenbench's and its peers') derived again from its samples. Figures
 * built on a rate (per-sequence rate, efficiency, cost, peer ratios) are checked against this copy, so an
 * edited median is named once, as itself, and a figure edited to agree with it is still caught.
 */
function ratesFromSamples(r: BenchResult): BenchResult {
  const fresh = (x: Rate, tokens: number): Rate => ({ ...x, ...rateOf(tokens, x.samplesNs) });
  const test = (t: TokenTest): TokenTest => {
    const total = aggregateTokens(t.tokens, t.batch);
    return { ...t, gpu: t.gpu && fresh(t.gpu, total), wall: fresh(t.wall, total), ...(t.gpuBusy ? { gpuBusy: fresh(t.gpuBusy, total) } : {}) };
  };
  const peer = (p: Peer): Peer => ({ ...p, tests: p.tests.map((pt) => ({ ...pt, rate: fresh(pt.rate, pt.tokens) })) });
  const workload = (w: Workload): Workload => ({ ...w, tests: w.tests.map(test), ...(w.peers ? { peers: w.peers.map(peer) } : {}) });
  return { ...r, phases: r.phases.map((p) => ({ ...p, ...(p.workloads ? { workloads: p.workloads.map(workload) } : {}) })) };
}

/**
 * Relative tolerance of a comparison. The same functions on the same doubles give the same bits (JSON
 * round-trips doubles exactly); the margin only absorbs summation order, never an edit a reader could see.
 */
export const RELATIVE_TOLERANCE = 1e-9;
/** Absolute tolerance, for figures at or near zero. */
export const ABSOLUTE_TOLERANCE = 1e-12;

function same(stored: number, expected: number): boolean {
  return Math.abs(stored - expected) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * Math.max(Math.abs(stored), Math.abs(expected));
}

/** Two numbers at the fewest significant digits (at least 4) that tell them apart. */
function shown(a: number, b: number): [string, string] {
  for (let p = 4; p < 17; p++) {
    const [x, y] = [Number(a.toPrecision(p)), Number(b.toPrecision(p))];
    if (x !== y) return [String(x), String(y)];
  }
  return [String(a), String(b)];
}

/** Collects problems of one part of a result. */
class Checker {
  readonly problems: string[] = [];

  /** `where: field is A unit but <from> give B unit`, unless the two agree (null only with null). */
  num(where: string, field: string, stored: number | null | undefined, expected: number | null, unit: string, from: string): void {
    if (stored === undefined) return;
    if (stored === null || expected === null) {
      if (stored !== expected) this.problems.push(`${where}: ${field} is ${stored === null ? 'null' : `${stored}${unit}`} but ${from} give ${expected === null ? 'none' : `${expected}${unit}`}`);
      return;
    }
    if (same(stored, expected)) return;
    const [a, b] = shown(stored, expected);
    this.problems.push(`${where}: ${field} is ${a}${unit} but ${from} give ${b}${unit}`);
  }

  text(where: string, field: string, stored: unknown, expected: unknown, from: string): void {
    if (stored !== expected) this.problems.push(`${where}: ${field} is ${JSON.stringify(stored)} but ${from} give ${JSON.stringify(expected)}`);
  }

  /** Runs a check; a recomputation that throws is a problem of its own (the schema lets few such through). */
  guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.problems.push(`${where}: cannot recompute its figures: ${(e as Error).message}`);
    }
  }

  rate(where: string, field: string, stored: Rate, fresh: Rate): void {
    for (const k of ['median', 'p10', 'p90'] as const) this.num(where, `${field}.${k}`, stored[k], fresh[k], ' tok/s', 'its samples');
  }

  timing(where: string, field: string, t: Timing): Timing['perUnitNs'] {
    const s = perUnitSummary(t.samplesNs, t.unitsPerSample);
    for (const k of ['n', 'median', 'p10', 'p90', 'min', 'max', 'mean', 'sd'] as const) this.num(where, `${field}.perUnitNs.${k}`, t.perUnitNs[k], s[k], k === 'n' ? '' : ' ns', 'its samples');
    this.num(where, `${field}.perUnitNs.cv`, t.perUnitNs.cv, s.cv, '', 'its samples');
    return s;
  }
}

/** `t` as stored against `f`, the same test with its rates derived from its samples. */
function checkTest(c: Checker, where: string, t: TokenTest, f: TokenTest): void {
  if (t.gpu && f.gpu) c.rate(where, 'gpu', t.gpu, f.gpu);
  if (t.gpuBusy && f.gpuBusy) c.rate(where, 'gpuBusy', t.gpuBusy, f.gpuBusy);
  c.rate(where, 'wall', t.wall, f.wall);
  const measured = testRate(f).tokPerSec;
  c.num(where, 'perSequence', t.perSequence, perSequenceRate(measured, t.batch), ' tok/s', 'its rate and batch');
  const ms = (per: number) => ({ gpu: t.gpu ? medianMsPerToken(t.gpu.samplesNs, per) : null, wall: medianMsPerToken(t.wall.samplesNs, per) });
  if (t.ttftMs) {
    const e = ms(1);
    c.num(where, 'ttftMs.gpu', t.ttftMs.gpu, e.gpu, ' ms', 'its samples');
    c.num(where, 'ttftMs.wall', t.ttftMs.wall, e.wall, ' ms', 'its samples');
  }
  if (t.tpotMs) {
    const e = ms(t.tokens);
    c.num(where, 'tpotMs.gpu', t.tpotMs.gpu, e.gpu, ' ms', 'its samples');
    c.num(where, 'tpotMs.wall', t.tpotMs.wall, e.wall, ' ms', 'its samples');
  }
  if (t.itlNs && t.stepNs?.length) {
    const e = latencyPercentiles(t.stepNs);
    for (const k of ['p50', 'p90', 'p99'] as const) c.num(where, `itlNs.${k}`, t.itlNs[k], e[k], ' ns', 'its stepNs');
  }
  if (t.traffic && t.traffic.neededPerToken > 0) {
    c.num(where, 'traffic.ratio', t.traffic.ratio, trafficRatio(t.traffic.readPerToken, t.traffic.neededPerToken), '', 'its bytes read and needed');
  }
  if (t.bounds) c.num(where, 'bounds.efficiency', t.bounds.efficiency, efficiencyOf(measured, t.bounds.bandwidth, t.bounds.compute), '', 'its rate and bounds');
}

/** `w` as stored against `fw`, the same workload in `fresh` (ratesFromSamples). */
function checkWorkload(c: Checker, fresh: BenchResult, w: Workload, fw: Workload): void {
  w.tests.forEach((t, i) => {
    const where = `workload ${w.id}, test ${t.name}`;
    c.guard(where, () => checkTest(c, where, t, fw.tests[i] as TokenTest));
  });
  for (const g of w.gemv ?? []) {
    const where = `workload ${w.id}, gemv ${g.role}`;
    c.guard(where, () => {
      const s = c.timing(where, 'timing', g.timing);
      c.num(where, 'gbps', g.gbps, metricFrom({ ...g.timing, perUnitNs: s }, g.readBytes, 'GB/s').median, ' GB/s', 'its samples and bytes');
      if (g.resident) {
        const rs = c.timing(where, 'resident.timing', g.resident.timing);
        c.num(where, 'resident.gbps', g.resident.gbps, metricFrom({ ...g.resident.timing, perUnitNs: rs }, g.readBytes, 'GB/s').median, ' GB/s', 'its samples and bytes');
      }
    });
  }
  (w.peers ?? []).forEach((p, i) => {
    const where = `workload ${w.id}, peer ${p.engine}`;
    const fp = fw.peers?.[i] as Peer;
    c.guard(where, () => {
      p.tests.forEach((pt, j) => c.rate(`${where}, test ${pt.name}`, 'rate', pt.rate, (fp.tests[j] as Peer['tests'][number]).rate));
      if (!p.ratios) return;
      const expected = peerRatios(fresh, fw, fp);
      c.num(where, 'ratios.length', p.ratios.length, expected.length, '', "the tests both sides ran");
      for (const x of p.ratios) {
        const e = expected.find((y) => y.test === x.test);
        const at = `${where}, test ${x.test}`;
        if (!e) {
          c.problems.push(`${at}: a ratio for a test the two sides did not both run`);
          continue;
        }
        c.num(at, 'tokenbench', x.tokenbench, e.tokenbench, ' tok/s', "tokenbench's test");
        c.num(at, 'peer', x.peer, e.peer, ' tok/s', "the peer's test");
        c.num(at, 'ratio', x.ratio, e.ratio, '', 'the two medians');
        c.text(at, 'kernelLimited', x.kernelLimited, e.kernelLimited, 'the ratio and backend');
      }
    });
  });
}

function checkBlend(c: Checker, where: string, stored: CostBlend | null, expected: CostBlend | null): void {
  if (!stored || !expected) {
    c.text(where, 'blend', stored === null ? null : 'present', expected === null ? null : 'present', 'its tests');
    return;
  }
  c.text(where, 'prefillTest', stored.prefillTest, expected.prefillTest, 'its tests');
  c.text(where, 'decodeTest', stored.decodeTest, expected.decodeTest, 'its tests');
  for (const k of ['usdPer1M', 'tokensPerUsd', 'joulesPerToken', 'apiFraction'] as const) c.num(where, k, stored[k], expected[k], '', 'its inputs and rates');
}

function checkCost(c: Checker, r: BenchResult, fresh: BenchResult): void {
  const cost = r.cost;
  if (!cost) return;
  const e = costOfResult(fresh, cost.inputs);
  const from = 'its inputs and rates';
  for (const k of ['hardware', 'energy', 'total'] as const) c.num('cost', `perHour.${k}`, cost.perHour[k], e.perHour[k], ' $/h', 'its inputs');
  c.num('cost', 'apiBlendedUsdPer1M', cost.apiBlendedUsdPer1M, e.apiBlendedUsdPer1M, ' $', 'its inputs');
  c.num('cost', 'workloads.length', cost.workloads.length, e.workloads.length, '', "the result's ok workloads");
  for (const w of cost.workloads) {
    const ew = e.workloads.find((x) => x.workload === w.workload);
    const where = `cost, workload ${w.workload}`;
    if (!ew) {
      c.problems.push(`${where}: no such ok workload in the result`);
      continue;
    }
    for (const k of ['prefill', 'decodeBatch1', 'decodeBest'] as const) c.text(where, k, w[k], ew[k], 'its tests');
    c.num(where, 'tests.length', w.tests.length, ew.tests.length, '', "the workload's tests");
    for (const t of w.tests) {
      const et = ew.tests.find((x) => x.test === t.test);
      const at = `${where}, test ${t.test}`;
      if (!et) {
        c.problems.push(`${at}: no such test in the workload`);
        continue;
      }
      c.text(at, 'source', t.source, et.source, "the test's rates");
      c.num(at, 'tokPerSec', t.tokPerSec, et.tokPerSec, ' tok/s', "the test's rates");
      c.num(at, 'usdPer1M', t.usdPer1M, et.usdPer1M, ' $', from);
      c.num(at, 'tokensPerUsd', t.tokensPerUsd, et.tokensPerUsd, '', from);
      c.num(at, 'joulesPerToken', t.joulesPerToken, et.joulesPerToken, ' J', from);
      c.num(at, 'tokPerSecPerW', t.tokPerSecPerW, et.tokPerSecPerW, ' tok/s/W', from);
    }
    checkBlend(c, `${where}, blended.batch1`, w.blended.batch1, ew.blended.batch1);
    checkBlend(c, `${where}, blended.best`, w.blended.best, ew.blended.best);
  }
}

/** Recomputes every derived figure of `r` that its samples and stored inputs determine; names each that differs. */
export function checkIntegrity(r: BenchResult): Integrity {
  const c = new Checker();
  let fresh: BenchResult;
  try {
    fresh = ratesFromSamples(r);
  } catch (e) {
    return { ok: false, problems: [`cannot derive its rates from their samples: ${(e as Error).message}`] };
  }
  r.phases.forEach((p, i) => {
    for (const m of p.measurements) {
      if (m.state !== 'ok' && m.state !== 'implausible') continue;
      const where = `phase ${p.id}, measurement ${m.id}`;
      c.guard(where, () => {
        const s = c.timing(where, 'timing', m.timing);
        const amount = m.metric.unit === 'GB/s' ? m.work.bytes : m.work.flops;
        if (amount === undefined) return;
        const e = metricFrom({ ...m.timing, perUnitNs: s }, amount, m.metric.unit);
        for (const k of ['median', 'p10', 'p90', 'best'] as const) c.num(where, `metric.${k}`, m.metric[k], e[k], ` ${m.metric.unit}`, 'its samples and work');
      });
    }
    const fp = fresh.phases[i] as BenchResult['phases'][number];
    (p.workloads ?? []).forEach((w, j) => checkWorkload(c, fresh, w, fp.workloads?.[j] as Workload));
  });
  c.guard('cost', () => checkCost(c, r, fresh));
  return c.problems.length ? { ok: false, problems: c.problems } : { ok: true };
}

/** One line for a result that fails the check: the first problem and how many there are. */
export function integrityMessage(problems: readonly string[]): string {
  return `inconsistent result (edited after the run?): ${problems[0] ?? 'no problem named'}; ${problems.length} problem(s)`;
}
