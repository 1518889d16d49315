/** URL parameters of the bench page. Pure, so it is unit-tested without a DOM. */
import type { GenerationConfig, SuiteName } from '../schema/result';
import { GENERATION_KEYS, parseGenerationOverrides } from '../run/options';
import { isSuiteName } from '../run/suites';
import { COST_KEYS, parseCostInputs } from '../cost/inputs';

export interface PageParams {
  suite: SuiteName;
  autorun: boolean;
  /** Generation settings given in the URL (models, formats, prompt, gen, depths, batches, gen-reps). */
  generation: Partial<GenerationConfig>;
  /** Autotune kernels for this adapter (`tune=0` runs every kernel's default variant). */
  tune: boolean;
}

export type ParamsOutcome = ({ ok: true } & PageParams) | { ok: false; error: string };

const KNOWN = new Set<string>(['suite', 'autorun', 'tune', ...GENERATION_KEYS, ...COST_KEYS]);
const TRUE = new Set(['1', 'true', 'yes', '']);
const FALSE = new Set(['0', 'false', 'no']);

/** Parses `?suite=smoke|standard&autorun=1`. Unknown keys or values are errors, not silently ignored. */
export function parseParams(search: string, defaultSuite: SuiteName = 'standard'): ParamsOutcome {
  const q = new URLSearchParams(search);
  for (const key of q.keys()) {
    if (!KNOWN.has(key)) return { ok: false, error: `unknown URL parameter "${key}" (known: ${[...KNOWN].join(', ')})` };
  }
  const suite = q.get('suite') ?? defaultSuite;
  if (!isSuiteName(suite)) return { ok: false, error: `unknown suite "${suite}" in ?suite= (use smoke or standard)` };
  const auto = q.get('autorun');
  let autorun = false;
  if (auto !== null) {
    if (TRUE.has(auto)) autorun = true;
    else if (!FALSE.has(auto)) return { ok: false, error: `?autorun= must be 1 or 0, got "${auto}"` };
  }
  const tuneText = q.get('tune');
  let tune = true;
  if (tuneText !== null) {
    if (FALSE.has(tuneText)) tune = false;
    else if (!TRUE.has(tuneText)) return { ok: false, error: `?tune= must be 1 or 0, got "${tuneText}"` };
  }
  const generation = parseGenerationOverrides((k) => q.get(k));
  if (!generation.ok) return { ok: false, error: generation.error };
  // Cost inputs are read by the cost panel (src/ui/cost-form.ts); a bad one is reported here like any parameter.
  const cost = parseCostInputs((k) => q.get(k));
  if (!cost.ok) return { ok: false, error: cost.error };
  return { ok: true, suite, autorun, generation: generation.value, tune };
}
