/**
 * The cost and energy model: what a token costs at the user's prices and what energy it takes at the
 * stated board power. All formulas live here; pure (no DOM, no Node), unit-tested on hand-computed cases.
 *
 *   hardware $/h  = hourly price                                   (rental)
 *                 = purchase price / (lifetime years × 8760 h × utilisation)   (owned: spread over working hours)
 *   energy $/h    = board power W / 1000 × electricity $/kWh
 *   total $/h     = hardware $/h + energy $/h (energy 0 when not given: a rental price usually includes it)
 *   $/1M tokens   = total $/h / (tok/s × 3600 s/h) × 1e6
 *   tokens per $  = tok/s × 3600 / total $/h
 *   J/token       = board power W / tok/s            tok/s per W = tok/s / board power W
 *   blended       = (in × prefill + out × decode) / (in + out)      at the input:output mix
 *   API fraction  = blended self-hosted $/1M / blended API $/1M
 *
 * Throughput is the test's aggregate tok/s (all sequences of a batch), from GPU timestamps when the test
 * has them, else the wall clock: the same figure the results table shows.
 */
import type { BenchResult, Cost, CostBlend, CostInputs, CostTest, CostWorkload, TokenTest, Workload } from '../schema/result';
import { findAccelerator } from './catalogue';

/** Hours in a (365-day) year. */
export const HOURS_PER_YEAR = 8760;

/** Hardware cost per working hour, $; null without a price. */
export function hardwarePerHour(i: CostInputs): number | null {
  if (i.hourlyPrice !== undefined) return i.hourlyPrice;
  if (i.purchasePrice !== undefined && i.lifetimeYears !== undefined && i.utilisation !== undefined) {
    return i.purchasePrice / (i.lifetimeYears * HOURS_PER_YEAR * (i.utilisation / 100));
  }
  return null;
}

/** Electricity cost per working hour at the stated board power, $; null without both inputs. */
export function energyPerHour(i: CostInputs): number | null {
  return i.boardPowerW !== undefined && i.electricityPrice !== undefined ? (i.boardPowerW / 1000) * i.electricityPrice : null;
}

/** Everything a working hour costs, $; null without a hardware price (cost needs a price: none is assumed). */
export function totalPerHour(i: CostInputs): number | null {
  const hw = hardwarePerHour(i);
  return hw === null ? null : hw + (energyPerHour(i) ?? 0);
}

/** $ per 1M tokens at `perHour` $/h and `tokPerSec`; null when either is missing or the rate is 0. */
export function usdPerMillion(perHour: number | null, tokPerSec: number): number | null {
  if (perHour === null || !(tokPerSec > 0)) return null;
  return (perHour / (tokPerSec * 3600)) * 1e6;
}

/** Tokens one dollar buys; null without a positive hourly cost. */
export function tokensPerUsd(perHour: number | null, tokPerSec: number): number | null {
  if (perHour === null || !(perHour > 0) || !(tokPerSec > 0)) return null;
  return (tokPerSec * 3600) / perHour;
}

/** Joules per token at the stated board power (energy = power × time per token). */
/** Energy per token; null without a positive board power (0 W is no figure, not free tokens) or a positive rate. */
export function joulesPerToken(watts: number | undefined, tokPerSec: number): number | null {
  if (watts === undefined || !(watts > 0) || !(tokPerSec > 0)) return null;
  return watts / tokPerSec;
}

export function tokPerSecPerWatt(watts: number | undefined, tokPerSec: number): number | null {
  if (watts === undefined || !(watts > 0)) return null;
  return tokPerSec / watts;
}

/**
 * tok/s per W from J/token (J/token = W / tok/s, so one is the other's reciprocal): for figures stored
 * without the power they were computed at (the results board's figures table).
 */
export function tokPerSecPerWattOfJoules(joules: number | null): number | null {
  return joules !== null && joules > 0 ? 1 / joules : null;
}

/** Mix-weighted average of an input-token and an output-token figure; null when either is null. */
export function blend(mix: CostInputs['mix'], input: number | null, output: number | null): number | null {
  if (input === null || output === null) return null;
  return (mix.input * input + mix.output * output) / (mix.input + mix.output);
}

/** The reference API's price at the mix, $/1M tokens; null without both API prices. */
export function apiBlended(i: CostInputs): number | null {
  if (i.apiInputPrice === undefined || i.apiOutputPrice === undefined) return null;
  return blend(i.mix, i.apiInputPrice, i.apiOutputPrice);
}

/** Aggregate tok/s and its source: GPU timestamps when the test has them, else wall clock. */
export function testRate(t: TokenTest): { tokPerSec: number; source: CostTest['source'] } {
  return t.gpu ? { tokPerSec: t.gpu.median, source: 'gpu-timestamp' } : { tokPerSec: t.wall.median, source: 'wall-clock' };
}

/** The cost and energy figures of `tokPerSec` at the inputs: the one place a rate becomes $ and J. */
export function figuresAt(i: CostInputs, tokPerSec: number): Pick<CostTest, 'usdPer1M' | 'tokensPerUsd' | 'joulesPerToken' | 'tokPerSecPerW'> {
  const perHour = totalPerHour(i);
  return {
    usdPer1M: usdPerMillion(perHour, tokPerSec),
    tokensPerUsd: tokensPerUsd(perHour, tokPerSec),
    joulesPerToken: joulesPerToken(i.boardPowerW, tokPerSec),
    tokPerSecPerW: tokPerSecPerWatt(i.boardPowerW, tokPerSec),
  };
}

export function costOfTest(i: CostInputs, t: TokenTest): CostTest {
  const { tokPerSec, source } = testRate(t);
  return { test: t.name, kind: t.kind, batch: t.batch, depth: t.depth, tokPerSec, source, ...figuresAt(i, tokPerSec) };
}

function blendTests(i: CostInputs, prefill: CostTest | undefined, decode: CostTest | undefined): CostBlend | null {
  if (!prefill || !decode) return null;
  const usd = blend(i.mix, prefill.usdPer1M, decode.usdPer1M);
  const api = apiBlended(i);
  return {
    prefillTest: prefill.test,
    decodeTest: decode.test,
    usdPer1M: usd,
    tokensPerUsd: usd !== null && usd > 0 ? 1e6 / usd : null,
    joulesPerToken: blend(i.mix, prefill.joulesPerToken, decode.joulesPerToken),
    apiFraction: usd !== null && api !== null && api > 0 ? usd / api : null,
  };
}

function fastest(tests: CostTest[]): CostTest | undefined {
  return tests.reduce<CostTest | undefined>((best, t) => (!best || t.tokPerSec > best.tokPerSec ? t : best), undefined);
}

/**
 * Cost of one workload: every test, plus the summary a buyer asks for: prefill (the fastest prefill
 * test), decode at batch 1 (shallowest depth) and at the fastest batch, and both blended at the mix.
 */
export function costOfWorkload(i: CostInputs, w: Workload): CostWorkload {
  const tests = w.state === 'ok' ? w.tests.map((t) => costOfTest(i, t)) : [];
  const prefill = fastest(tests.filter((t) => t.kind === 'prefill'));
  const decodes = tests.filter((t) => t.kind === 'decode');
  const batch1 = decodes.filter((t) => t.batch === 1).sort((a, b) => a.depth - b.depth)[0];
  const minDepth = Math.min(...decodes.map((t) => t.depth));
  const best = fastest(decodes.filter((t) => t.depth === minDepth));
  return {
    workload: w.id,
    preset: w.preset,
    format: w.format,
    tests,
    prefill: prefill?.test ?? null,
    decodeBatch1: batch1?.test ?? null,
    decodeBest: best?.test ?? null,
    blended: { batch1: blendTests(i, prefill, batch1), best: blendTests(i, prefill, best) },
  };
}

/** What the inputs leave out or assume, in words (stored with the figures). */
export function costNotes(i: CostInputs, result?: BenchResult): string[] {
  const notes: string[] = [];
  const hw = hardwarePerHour(i);
  if (hw === null) notes.push('no hardware price: enter a price (hourly-price, or purchase-price + lifetime-years + utilisation) for $ figures');
  if (i.purchasePrice !== undefined && hw !== null) {
    notes.push(`purchase price amortised over ${i.lifetimeYears} years × ${HOURS_PER_YEAR} h × ${i.utilisation}% utilisation = $${hw.toPrecision(4)} per working hour`);
  }
  if (i.boardPowerW === undefined) notes.push('no board power: enter one (or pick an accelerator) for J/token and tok/s per W');
  else if (!(i.boardPowerW > 0)) notes.push(`board power ${i.boardPowerW} W: no energy figures (J/token and tok/s per W need a positive power)`);
  else {
    const acc = i.accelerator ? findAccelerator(i.accelerator) : undefined;
    notes.push(
      `energy assumes the stated ${i.boardPowerW} W whenever the accelerator works${acc && acc.boardPowerW === i.boardPowerW ? ` (${acc.source})` : ''}; idle and host power are not counted`,
    );
  }
  if (hw !== null && i.electricityPrice === undefined) {
    notes.push(i.hourlyPrice !== undefined ? 'electricity not added: a rental price usually includes it' : 'electricity not included: no electricity-price');
  }
  if (result?.environment?.software.isSoftware) notes.push('software adapter: these figures price a CPU emulation of a GPU, not hardware');
  return notes;
}

/** The cost/energy block of a result at the given inputs. */
export function costOfResult(result: BenchResult, i: CostInputs): Cost {
  const workloads = result.phases.flatMap((p) => p.workloads ?? []);
  return {
    inputs: i,
    perHour: { hardware: hardwarePerHour(i), energy: energyPerHour(i), total: totalPerHour(i) },
    apiBlendedUsdPer1M: apiBlended(i),
    workloads: workloads.filter((w) => w.state === 'ok').map((w) => costOfWorkload(i, w)),
    notes: costNotes(i, result),
  };
}

/** The result with its cost block set from `inputs`, or without one when there are no cost inputs. */
export function withCost(result: BenchResult, inputs: CostInputs | null): BenchResult {
  const { cost: _old, ...rest } = result;
  if (!inputs) return rest;
  return { ...rest, cost: costOfResult(result, inputs) };
}

/** Cost figures of one test of a result, when its cost block has them. */
export function findTestCost(result: BenchResult, workloadId: string, test: string): CostTest | undefined {
  return result.cost?.workloads.find((w) => w.workload === workloadId)?.tests.find((t) => t.test === test);
}
