import { describe, expect, test } from 'vitest';
import { ACCELERATORS, findAccelerator } from '../../src/cost/catalogue';
import { type CostKey, costToParams, hasCostInputs, parseCostInputs } from '../../src/cost/inputs';
import {
  apiBlended,
  blend,
  costOfResult,
  energyPerHour,
  hardwarePerHour,
  costNotes,
  joulesPerToken,
  tokPerSecPerWatt,
  tokensPerUsd,
  totalPerHour,
  usdPerMillion,
  withCost,
} from '../../src/cost/model';
import { type CostInputs, parseResult } from '../../src/schema/result';
import { tokenResult } from './token-fixture';

const mix = { input: 3, output: 1 };
const inputs = (i: Partial<CostInputs>): CostInputs => ({ mix, ...i });
function parse(q: Partial<Record<CostKey, string>>) {
  return parseCostInputs((k) => q[k]);
}

describe('formulas, hand-computed', () => {
  test('rental: $2.50/h at 1000 tok/s is $0.6944 per 1M tokens and 1.44M tokens per $', () => {
    // 1000 tok/s × 3600 s = 3.6M tokens per hour; $2.50 / 3.6 = $0.69444 per 1M.
    const perHour = totalPerHour(inputs({ hourlyPrice: 2.5 }));
    expect(perHour).toBe(2.5);
    expect(usdPerMillion(perHour, 1000)).toBeCloseTo(0.694444, 6);
    expect(tokensPerUsd(perHour, 1000)).toBeCloseTo(1_440_000, 6);
  });

  test('purchase: $30,000 over 5 years at 50% is $1.36986 per working hour; 700 W at $0.10/kWh adds $0.07', () => {
    // 5 × 8760 h × 0.5 = 21,900 working hours; 30,000 / 21,900 = 1.369863.
    const i = inputs({ purchasePrice: 30_000, lifetimeYears: 5, utilisation: 50, boardPowerW: 700, electricityPrice: 0.1 });
    expect(hardwarePerHour(i)).toBeCloseTo(1.369863, 6);
    expect(energyPerHour(i)).toBeCloseTo(0.07, 12);
    expect(totalPerHour(i)).toBeCloseTo(1.439863, 6);
    // At 400 tok/s: 1.439863 / (400 × 3600) × 1e6 = $0.99990 per 1M.
    expect(usdPerMillion(totalPerHour(i), 400)).toBeCloseTo(0.9999, 4);
  });

  test('energy: 700 W at 1000 tok/s is 0.7 J/token and 1.4286 tok/s per W', () => {
    expect(joulesPerToken(700, 1000)).toBeCloseTo(0.7, 12);
    expect(tokPerSecPerWatt(700, 1000)).toBeCloseTo(1.428571, 6);
  });

  test('blended at 3:1: prefill $0.10 and decode $1.00 → $0.325; API $0.50/$1.50 → $0.75; fraction 0.4333', () => {
    expect(blend(mix, 0.1, 1)).toBeCloseTo(0.325, 12);
    expect(apiBlended(inputs({ apiInputPrice: 0.5, apiOutputPrice: 1.5 }))).toBeCloseTo(0.75, 12);
    expect(blend({ input: 1, output: 1 }, 0.1, 1)).toBeCloseTo(0.55, 12);
  });

  test.each([
    ['no price', inputs({ boardPowerW: 300 })],
    ['electricity alone', inputs({ boardPowerW: 300, electricityPrice: 0.2 })],
  ])('%s: no $ figure is invented', (_name, i) => {
    expect(totalPerHour(i)).toBeNull();
    expect(usdPerMillion(totalPerHour(i), 1000)).toBeNull();
    expect(tokensPerUsd(totalPerHour(i), 1000)).toBeNull();
  });

  test('zero rates and zero power give null, not Infinity', () => {
    expect(usdPerMillion(2, 0)).toBeNull();
    expect(joulesPerToken(700, 0)).toBeNull();
    expect(tokPerSecPerWatt(0, 100)).toBeNull();
    expect(tokensPerUsd(0, 100)).toBeNull();
  });

  test('0 W board power: J/token and tok/s per W are both null, and the notes say why', () => {
    expect(joulesPerToken(0, 100)).toBeNull();
    expect(tokPerSecPerWatt(0, 100)).toBeNull();
    expect(costNotes(inputs({ boardPowerW: 0 })).join(' ')).toMatch(/board power 0 W: no energy figures/);
  });
});

describe('cost block of a result', () => {
  // Fixture rates: pp16 1000 tok/s, tg8 100 tok/s, tg8 b4 320 tok/s (GPU timestamps).
  const i = inputs({ hourlyPrice: 3.6, boardPowerW: 500, apiInputPrice: 0.2, apiOutputPrice: 0.6 });
  const cost = costOfResult(tokenResult(), i);
  const w = cost.workloads[0]!;

  test('per-test figures', () => {
    // $3.60/h = $0.001/s: at 1000 tok/s that is $1e-6 per token = $1.00 per 1M.
    expect(w.tests.map((t) => [t.test, t.tokPerSec, t.source])).toEqual([
      ['pp16', 1000, 'gpu-timestamp'],
      ['tg8', 100, 'gpu-timestamp'],
      ['tg8 b4', 320, 'gpu-timestamp'],
    ]);
    expect(w.tests.map((t) => t.usdPer1M)).toEqual([expect.closeTo(1, 12), expect.closeTo(10, 12), expect.closeTo(3.125, 12)]);
    expect(w.tests.map((t) => t.joulesPerToken)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(5, 12), expect.closeTo(1.5625, 12)]);
    expect(w.tests[0]?.tokensPerUsd).toBeCloseTo(1e6, 6);
    expect(w.tests[2]?.tokPerSecPerW).toBeCloseTo(0.64, 12);
  });

  test('summary picks prefill, batch-1 decode and the best batch, and blends them 3:1', () => {
    expect([w.prefill, w.decodeBatch1, w.decodeBest]).toEqual(['pp16', 'tg8', 'tg8 b4']);
    // batch 1: (3 × $1 + 1 × $10) / 4 = $3.25; best: (3 × $1 + $3.125) / 4 = $1.53125.
    expect(w.blended.batch1?.usdPer1M).toBeCloseTo(3.25, 12);
    expect(w.blended.best?.usdPer1M).toBeCloseTo(1.53125, 12);
    expect(w.blended.best?.tokensPerUsd).toBeCloseTo(1e6 / 1.53125, 6);
    // J/token: (3 × 0.5 + 5) / 4 = 1.625.
    expect(w.blended.batch1?.joulesPerToken).toBeCloseTo(1.625, 12);
    // API at 3:1: (3 × 0.2 + 0.6) / 4 = $0.30; fractions 3.25 / 0.3 and 1.53125 / 0.3.
    expect(cost.apiBlendedUsdPer1M).toBeCloseTo(0.3, 12);
    expect(w.blended.batch1?.apiFraction).toBeCloseTo(10.833333, 6);
    expect(w.blended.best?.apiFraction).toBeCloseTo(5.104167, 6);
  });

  test('the block passes the result schema; without inputs it is removed', () => {
    const r = withCost(tokenResult(), i);
    const parsed = parseResult(JSON.parse(JSON.stringify(r)));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    expect(withCost(r, null).cost).toBeUndefined();
  });

  test('without a price: J/token present, $ figures null, and a note asks for a price', () => {
    const c = costOfResult(tokenResult(), inputs({ boardPowerW: 72 }));
    expect(c.perHour.total).toBeNull();
    expect(c.workloads[0]?.tests.every((t) => t.usdPer1M === null && t.joulesPerToken !== null)).toBe(true);
    expect(c.notes.join(' ')).toMatch(/enter a price/);
  });

  test('wall clock is used when a test has no GPU timestamps', () => {
    const r = tokenResult();
    const t = r.phases[2]!.workloads![0]!.tests[0]!;
    t.gpu = null;
    expect(costOfResult(r, i).workloads[0]?.tests[0]).toMatchObject({ tokPerSec: 900, source: 'wall-clock' });
  });
});

describe('cost inputs from text', () => {
  test('all settings, with $ and % tolerated', () => {
    const r = parse({ 'purchase-price': '$30000', 'lifetime-years': '5', utilisation: '50%', 'board-power': '700', 'electricity-price': '0.12', 'api-input-price': '0.5', 'api-output-price': '1.5', 'token-mix': '4:1' });
    expect(r).toEqual({
      ok: true,
      value: { purchasePrice: 30000, lifetimeYears: 5, utilisation: 50, boardPowerW: 700, electricityPrice: 0.12, apiInputPrice: 0.5, apiOutputPrice: 1.5, mix: { input: 4, output: 1 } },
    });
  });

  test('an accelerator pre-fills board power; an explicit board power wins', () => {
    expect(parse({ accelerator: 'h100-sxm' })).toMatchObject({ ok: true, value: { boardPowerW: 700, accelerator: 'h100-sxm' } });
    expect(parse({ accelerator: 'l4', 'board-power': '60' })).toMatchObject({ ok: true, value: { boardPowerW: 60 } });
  });

  test('nothing given: default mix, no cost inputs', () => {
    const r = parse({});
    expect(r).toEqual({ ok: true, value: { mix: { input: 3, output: 1 } } });
    expect(r.ok && hasCostInputs(r.value)).toBe(false);
  });

  test.each([
    [{ 'hourly-price': 'cheap' }, /hourly-price: "cheap" is not a non-negative number/],
    [{ 'hourly-price': '-1' }, /not a non-negative number/],
    [{ 'hourly-price': '2', 'purchase-price': '1000' }, /either hourly-price .* or purchase-price/],
    [{ 'purchase-price': '1000' }, /needs lifetime-years and utilisation/],
    [{ 'hourly-price': '2', utilisation: '50' }, /amortise a purchase-price/],
    [{ 'purchase-price': '1000', 'lifetime-years': '3', utilisation: '0' }, /utilisation: must be greater than 0/],
    [{ 'purchase-price': '1000', 'lifetime-years': '3', utilisation: '150' }, /utilisation: 150 is outside/],
    [{ 'electricity-price': '0.2' }, /electricity-price needs board-power/],
    [{ 'api-input-price': '0.2' }, /both api-input-price and api-output-price/],
    [{ 'token-mix': '3:0' }, /token-mix: expected input:output/],
    [{ accelerator: 'h900' }, /accelerator: unknown id "h900"/],
  ])('%j is rejected', (q, message) => {
    const r = parse(q);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  test('round-trips through the text form', () => {
    const original = parse({ 'hourly-price': '2.5', accelerator: 'h200-sxm', 'electricity-price': '0.1', 'api-input-price': '0.5', 'api-output-price': '1.5', 'token-mix': '1:1' });
    expect(original.ok).toBe(true);
    if (!original.ok) return;
    const params = costToParams(original.value);
    expect(params).not.toContainEqual(['board-power', '700']);
    const again = parseCostInputs((k) => new Map(params).get(k));
    expect(again).toEqual(original);
  });
});

describe('accelerator catalogue', () => {
  test('ids are unique, powers positive, every entry cites a source', () => {
    expect(new Set(ACCELERATORS.map((a) => a.id)).size).toBe(ACCELERATORS.length);
    for (const a of ACCELERATORS) {
      expect(a.boardPowerW).toBeGreaterThan(0);
      expect(a.source.length).toBeGreaterThan(10);
    }
  });

  test.each([
    ['h100-sxm', 700],
    ['h200-sxm', 700],
    ['a100-sxm', 400],
    ['l4', 72],
    ['mi300x', 750],
    ['rtx-4090', 450],
  ])('%s: %d W', (id, w) => {
    expect(findAccelerator(id)?.boardPowerW).toBe(w);
  });
});
