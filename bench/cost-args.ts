/**
 * Cost flags of the run command (`--hourly-price 2.5 --board-power 700 ...`): the same names as the page's
 * URL parameters and form (src/cost/inputs.ts). bench/args.ts collects their values and calls
 * parseCostFlags; the CLI hands the parsed inputs to the page as URL parameters (costToParams).
 */
import { ACCELERATORS } from '../src/cost/catalogue';
import { COST_KEYS, type CostKey, costToParams as textParams, hasCostInputs, parseCostInputs } from '../src/cost/inputs';
import { withCost } from '../src/cost/model';
import type { BenchResult, CostInputs } from '../src/schema/result';

/** `--hourly-price`, `--board-power`, ...: every one takes a value. */
export const COST_OPTIONS: ReadonlySet<string> = new Set(COST_KEYS.map((k) => `--${k}`));

export const COST_USAGE = `Cost per token and energy (stored in the result; no price is ever assumed):
  --hourly-price USD       rental price per hour (cloud); or instead:
  --purchase-price USD     purchase price, amortised over
  --lifetime-years N       ... this many years
  --utilisation PCT        ... at this share of hours doing work (e.g. 60)
  --board-power W          board power while working (J/token, tok/s per W; electricity)
  --accelerator ID         pre-fill board power from a vendor spec: ${ACCELERATORS.map((a) => a.id).join(', ')}
  --electricity-price USD  per kWh (added to the hourly cost)
  --api-input-price USD    reference API price per 1M input tokens, and
  --api-output-price USD   per 1M output tokens, to compare against
  --token-mix IN:OUT       input:output tokens of the blended price (default 3:1)`;

/** Parsed cost inputs from collected flag values (key without "--"); null value when none were given. */
export function parseCostFlags(values: ReadonlyMap<string, string>): { ok: true; value: CostInputs | null } | { ok: false; error: string } {
  const parsed = parseCostInputs((k: CostKey) => values.get(k));
  if (!parsed.ok) return { ok: false, error: parsed.error.replace(/(^|; )([a-z-]+):/g, '$1--$2:') };
  return { ok: true, value: hasCostInputs(parsed.value) ? parsed.value : null };
}

/** URL parameters that hand the inputs to the page (none for null), and the result's cost block in Node. */
export function costToParams(inputs: CostInputs | null): Array<[string, string]> {
  return inputs ? textParams(inputs) : [];
}

/** For runners that get the result without the page (Node + Dawn): attach the cost block themselves. */
export function applyCost(result: BenchResult, inputs: CostInputs | null): BenchResult {
  return inputs ? withCost(result, inputs) : result;
}
