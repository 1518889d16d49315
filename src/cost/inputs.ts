/**
 * Cost inputs from text: CLI flags (`--hourly-price 2.5`), URL parameters (`?hourly-price=2.5`) and the
 * page form share the same names and this parser. Errors name the setting. Pure: no DOM, no Node.
 */
import type { CostInputs } from '../schema/result';
import { ACCELERATORS, findAccelerator } from './catalogue';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Text keys: CLI flags without "--", URL parameters, form field names. */
export const COST_KEYS = [
  'hourly-price',
  'purchase-price',
  'lifetime-years',
  'utilisation',
  'board-power',
  'electricity-price',
  'api-input-price',
  'api-output-price',
  'token-mix',
  'accelerator',
] as const;
export type CostKey = (typeof COST_KEYS)[number];

/** The default input:output token mix of the blended price (prompts are usually longer than answers). */
export const DEFAULT_MIX = { input: 3, output: 1 } as const;

/** Upper bounds that catch a typo (a price in cents, power in mW) rather than limit real use. */
export const COST_MAX = {
  'hourly-price': 10_000,
  'purchase-price': 100_000_000,
  'lifetime-years': 50,
  utilisation: 100,
  'board-power': 100_000,
  'electricity-price': 100,
  'api-input-price': 100_000,
  'api-output-price': 100_000,
} as const;

type NumberKey = keyof typeof COST_MAX;

const FIELD: Record<NumberKey, keyof CostInputs> = {
  'hourly-price': 'hourlyPrice',
  'purchase-price': 'purchasePrice',
  'lifetime-years': 'lifetimeYears',
  utilisation: 'utilisation',
  'board-power': 'boardPowerW',
  'electricity-price': 'electricityPrice',
  'api-input-price': 'apiInputPrice',
  'api-output-price': 'apiOutputPrice',
};

/** Settings that must be > 0 (the rest may be 0: free electricity, a card already paid for). */
const POSITIVE = new Set<NumberKey>(['lifetime-years', 'utilisation']);

function parseNumber(key: NumberKey, text: string): Parsed<number> {
  const t = text.trim().replace(/^\$/, '').replace(/%$/, '');
  if (!/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { ok: false, error: `${key}: "${text}" is not a non-negative number` };
  const v = Number(t);
  if (!Number.isFinite(v) || v > COST_MAX[key]) return { ok: false, error: `${key}: ${t} is outside [0, ${COST_MAX[key]}]` };
  if (POSITIVE.has(key) && v <= 0) return { ok: false, error: `${key}: must be greater than 0` };
  return { ok: true, value: v };
}

/** "3:1" (or "3") → { input: 3, output: 1 }. */
export function parseMix(text: string): Parsed<CostInputs['mix']> {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?::\s*(\d+(?:\.\d+)?)\s*)?$/.exec(text);
  const input = m ? Number(m[1]) : NaN;
  const output = m ? Number(m[2] ?? '1') : NaN;
  if (!m || !(input > 0) || !(output > 0) || input > 1e6 || output > 1e6) {
    return { ok: false, error: `token-mix: expected input:output, two positive numbers such as 3:1, got "${text}"` };
  }
  return { ok: true, value: { input, output } };
}

/**
 * Parses and cross-checks whichever cost settings are present (`get` returns null/undefined/"" for
 * absent ones). An accelerator from the catalogue fills board power unless board-power is given.
 */
export function parseCostInputs(get: (key: CostKey) => string | null | undefined): Parsed<CostInputs> {
  const out: CostInputs = { mix: { ...DEFAULT_MIX } };
  const errors: string[] = [];
  for (const key of Object.keys(COST_MAX) as NumberKey[]) {
    const t = get(key);
    if (t === null || t === undefined || t.trim() === '') continue;
    const r = parseNumber(key, t);
    if (!r.ok) errors.push(r.error);
    else (out as Record<string, unknown>)[FIELD[key]] = r.value;
  }
  const mix = get('token-mix');
  if (mix !== null && mix !== undefined && mix.trim() !== '') {
    const r = parseMix(mix);
    if (!r.ok) errors.push(r.error);
    else out.mix = r.value;
  }
  const acc = get('accelerator')?.trim();
  if (acc) {
    const a = findAccelerator(acc);
    if (!a) errors.push(`accelerator: unknown id "${acc}" (known: ${ACCELERATORS.map((x) => x.id).join(', ')})`);
    else {
      out.accelerator = a.id;
      if (out.boardPowerW === undefined) out.boardPowerW = a.boardPowerW;
    }
  }
  if (errors.length) return { ok: false, error: errors.join('; ') };
  const check = checkCostInputs(out);
  return check ? { ok: false, error: check } : { ok: true, value: out };
}

/** Cross-field rules; null when the inputs are consistent. */
export function checkCostInputs(i: CostInputs): string | null {
  const has = (v: number | undefined) => v !== undefined;
  if (has(i.hourlyPrice) && has(i.purchasePrice)) {
    return 'give either hourly-price (rental) or purchase-price (+ lifetime-years and utilisation), not both';
  }
  if (has(i.purchasePrice) && (!has(i.lifetimeYears) || !has(i.utilisation))) {
    return 'purchase-price needs lifetime-years and utilisation (percent of hours the accelerator works) to amortise it';
  }
  if (!has(i.purchasePrice) && (has(i.lifetimeYears) || has(i.utilisation))) {
    return 'lifetime-years and utilisation amortise a purchase-price: give one, or use hourly-price';
  }
  if (has(i.electricityPrice) && !has(i.boardPowerW)) {
    return 'electricity-price needs board-power (W), or an accelerator from the catalogue';
  }
  if (has(i.apiInputPrice) !== has(i.apiOutputPrice)) {
    return 'give both api-input-price and api-output-price ($ per 1M tokens) for the reference API';
  }
  return null;
}

/** True when the inputs ask for any cost or energy figure (the mix alone does not). */
export function hasCostInputs(i: CostInputs): boolean {
  return (
    i.hourlyPrice !== undefined ||
    i.purchasePrice !== undefined ||
    i.boardPowerW !== undefined ||
    i.electricityPrice !== undefined ||
    i.apiInputPrice !== undefined ||
    i.apiOutputPrice !== undefined
  );
}

/**
 * The text form, for URLs and storage (the CLI hands its settings to the page this way). Board power that
 * came from the catalogue is left out, so the accelerator id alone carries it.
 */
export function costToParams(i: CostInputs): Array<[CostKey, string]> {
  const out: Array<[CostKey, string]> = [];
  const acc = i.accelerator ? findAccelerator(i.accelerator) : undefined;
  for (const key of Object.keys(COST_MAX) as NumberKey[]) {
    const v = i[FIELD[key]];
    if (typeof v !== 'number') continue;
    if (key === 'board-power' && acc && acc.boardPowerW === v) continue;
    out.push([key, String(v)]);
  }
  if (i.mix.input !== DEFAULT_MIX.input || i.mix.output !== DEFAULT_MIX.output) out.push(['token-mix', `${i.mix.input}:${i.mix.output}`]);
  if (i.accelerator) out.push(['accelerator', i.accelerator]);
  return out;
}
