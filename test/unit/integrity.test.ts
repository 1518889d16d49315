/** The integrity check: a genuine result passes; a derived figure edited after the run is named, whatever it is. */
import { describe, expect, test } from 'vitest';
import { withCost } from '../../src/cost/model';
import { metricFrom } from '../../src/measure/measure';
import { perUnitSummary } from '../../src/measure/stats';
import { checkIntegrity, integrityMessage } from '../../src/result/integrity';
import { withPeer } from '../../src/result/peers';
import { peerTest, peerTestPlan } from '../../src/run/peers/plan';
import type { BenchResult, Measurement, Peer, TokenTest, Workload } from '../../src/schema/result';
import { validResult, validResultWithWorkload } from './fixtures';
import { tokenResult } from './token-fixture';

const COST = { hourlyPrice: 2, boardPowerW: 300, electricityPrice: 0.3, apiInputPrice: 1, apiOutputPrice: 3, mix: { input: 3, output: 1 } };

/** A llama.cpp peer with pp16 at 800 tok/s and tg8 at 150, its figures from its samples. */
function peer(): Peer {
  const tests = peerTestPlan({ promptLens: [16], depths: [0], genTokens: 8 }).map((t) => {
    const rate = t.kind === 'prefill' ? 800 : 150;
    return peerTest(t, t.tokens, [1, 1.02, 0.98].map((j) => (t.tokens / rate) * 1e9 * j), "llama.cpp's own timings");
  });
  return { engine: 'native', state: 'ok', name: 'llama.cpp', backend: 'vulkan', tests };
}

/** tokenResult with everything a result can carry: a decode GEMV figure, traffic, a peer, the cost block. */
function fullResult(): BenchResult {
  const r = tokenResult();
  const w = workload(r);
  const samplesNs = [2000, 2100, 1900, 2050, 1950];
  const timing = { source: 'gpu-timestamp' as const, unitsPerSample: 4, warmupSamples: 2, samplesNs, perUnitNs: perUnitSummary(samplesNs, 4) };
  w.gemv = [{ role: 'ffn_down', kernel: 'linear_q4_0', readBytes: 9216, timing, gbps: metricFrom(timing, 9216, 'GB/s').median, ofReadCeiling: null }];
  const tg8 = tokenTest(r, 'tg8');
  tg8.traffic = { readPerToken: 48000, neededPerToken: 47140, ratio: 48000 / 47140, pos: 3.5, method: 'counted' };
  return withCost(withPeer(r, w.id, peer()), COST);
}

function workload(r: BenchResult): Workload {
  const w = r.phases.flatMap((p) => p.workloads ?? [])[0];
  if (!w) throw new Error('fixture changed');
  return w;
}

function tokenTest(r: BenchResult, name: string): TokenTest {
  const t = workload(r).tests.find((x) => x.name === name);
  if (!t) throw new Error(`fixture changed: no ${name}`);
  return t;
}

function measurement(r: BenchResult, id: string): Measurement & { state: 'ok' } {
  const m = r.phases.flatMap((p) => p.measurements).find((x) => x.id === id);
  if (m?.state !== 'ok') throw new Error(`fixture changed: no ok ${id}`);
  return m;
}

const tg8 = (r: BenchResult) => tokenTest(r, 'tg8') as TokenTest & { gpu: NonNullable<TokenTest['gpu']> };

describe('genuine results pass', () => {
  test.each([
    ['the schema fixture', validResult],
    ['the schema fixture with a workload', validResultWithWorkload],
    ['the token fixture', () => tokenResult()],
    ['a result with a GEMV figure, traffic, a peer and a cost block', fullResult],
  ])('%s', (_name, make) => {
    expect(checkIntegrity(make())).toEqual({ ok: true });
  });

  test('after a JSON round trip (doubles survive it exactly)', () => {
    expect(checkIntegrity(JSON.parse(JSON.stringify(fullResult())) as BenchResult)).toEqual({ ok: true });
  });
});

describe('an edited figure is named', () => {
  test.each<[string, (r: BenchResult) => void, RegExp]>([
    ['a decode median ×10', (r) => void (tg8(r).gpu.median *= 10), /^workload tiny-q4_0, test tg8: gpu\.median is 1000 tok\/s but its samples give 100 tok\/s$/],
    ['a wall-clock spread', (r) => void (tokenTest(r, 'pp16').wall.p10 = 1), /test pp16: wall\.p10 is 1 tok\/s but its samples give 88\d\.\d+ tok\/s$/],
    ['the per-sequence rate', (r) => void (tokenTest(r, 'tg8 b4').perSequence = 320), /test tg8 b4: perSequence is 320 tok\/s but its rate and batch give 80 tok\/s$/],
    ['TTFT', (r) => void (tokenTest(r, 'pp16').ttftMs = { gpu: 1, wall: 17.7778 }), /test pp16: ttftMs\.gpu is 1 ms but its samples give 16 ms$/],
    ['TPOT', (r) => void (tg8(r).tpotMs = { gpu: 10, wall: 1 }), /test tg8: tpotMs\.wall is 1 ms but its samples give 11\.11\d* ms$/],
    ['an inter-token latency percentile', (r) => void ((tg8(r).itlNs as { p99: number }).p99 = 1e6), /test tg8: itlNs\.p99 is 1000000 ns but its stepNs give 10400000 ns$/],
    ['the traffic ratio', (r) => void ((tg8(r).traffic as { ratio: number }).ratio = 1), /test tg8: traffic\.ratio is 1 but its bytes read and needed give 1\.018\d*$/],
    ['the efficiency', (r) => void ((tg8(r).bounds as { efficiency: number }).efficiency = 0.9), /test tg8: bounds\.efficiency is 0\.9 but its rate and bounds give 0\.2$/],
    ['a kernel metric', (r) => void (measurement(r, 'read-bandwidth').metric.median = 200), /^phase roofline, measurement read-bandwidth: metric\.median is 200 GB\/s but its samples and work give 100 GB\/s$/],
    ['a timing summary', (r) => void (measurement(r, 'fma-f32').timing.perUnitNs.median = 1), /measurement fma-f32: timing\.perUnitNs\.median is 1 ns but its samples give 16780 ns$/],
    ['a decode GEMV figure', (r) => void ((workload(r).gemv?.[0] as { gbps: number }).gbps = 99), /^workload tiny-q4_0, gemv ffn_down: gbps is 99 GB\/s but its samples and bytes give 18\.43 GB\/s$/],
    ['a peer test rate', (r) => void ((workload(r).peers?.[0]?.tests[1] as Peer['tests'][number]).rate.median = 1500), /peer native, test tg8: rate\.median is 1500 tok\/s but its samples give 150 tok\/s$/],
    ['a peer ratio', (r) => void ((workload(r).peers?.[0]?.ratios?.[1] as { ratio: number }).ratio = 1.5), /peer native, test tg8: ratio is 1\.5 but the two medians give 0\.6667$/],
    ['a cost figure', (r) => void ((r.cost?.workloads[0]?.tests[1] as { usdPer1M: number }).usdPer1M = 0.01), /^cost, workload tiny-q4_0, test tg8: usdPer1M is 0\.01 \$ but its inputs and rates give 5\.8\d* \$$/],
    ['the hourly cost', (r) => void ((r.cost as { perHour: { total: number } }).perHour.total = 0.5), /^cost: perHour\.total is 0\.5 \$\/h but its inputs give 2\.09 \$\/h$/],
  ])('%s', (_name, edit, message) => {
    const r = fullResult();
    edit(r);
    const out = checkIntegrity(r);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems[0]).toMatch(message);
  });

  test('a median edited with the figures built on it is still caught, each figure named', () => {
    const r = fullResult();
    const t = tg8(r);
    t.gpu.median *= 10;
    t.perSequence = t.gpu.median;
    (t.bounds as { efficiency: number }).efficiency *= 10;
    const out = checkIntegrity(r);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.problems.filter((p) => p.startsWith('workload tiny-q4_0, test tg8:')).map((p) => p.split(':')[1]?.split(' is ')[0]?.trim())).toEqual([
      'gpu.median',
      'perSequence',
      'bounds.efficiency',
    ]);
    // The cost block and the peer ratio still hold the genuine rate, so they agree with the samples.
    expect(out.problems.filter((p) => p.startsWith('cost') || p.includes('peer'))).toEqual([]);
  });

  test('the message names the first problem and how many there are', () => {
    expect(integrityMessage(['a: x is 1 but its samples give 2', 'b'])).toBe('inconsistent result (edited after the run?): a: x is 1 but its samples give 2; 2 problem(s)');
  });

  test('a result fabricated with figures that agree with fabricated samples passes: a consistency check, not a signature', () => {
    expect(checkIntegrity(tokenResult({ prefill: 1e6, decode: 1e5, batch4: 3e5 }))).toEqual({ ok: true });
  });
});
