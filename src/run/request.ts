/**
 * What a user asks for when starting a run, whichever front-end they use: the page (Run button, `?autorun`,
 * `window.tokenbench.run`), the browser CLI, fleets and the Node runner all build this one object and run it
 * through src/runtime/execute.ts. Plain JSON, so every transport (Comlink, CDP, WebDriver) carries it as is.
 * How text becomes a request is src/runtime/request-text.ts; how a suite runs is ./runner.ts.
 */
import type { CostInputs, GenerationConfig, PeerRequest, SuiteName } from '../schema/result';
import type { TuneCache } from './tune/tuner';

export interface RunRequest {
  suite: SuiteName;
  /** Token-workload settings that replace the suite's defaults; `models` may hold custom architectures. */
  generation: Partial<GenerationConfig>;
  /**
   * Autotuning: `enabled: false` runs every kernel's default variant. `cache` holds earlier choices (each is
   * re-checked against the CPU reference before use); the result's `tuning` carries the new ones.
   */
  tune: { enabled: boolean; cache?: TuneCache };
  /** Prices and power for the result's cost block (src/cost); null: none given, no cost block. */
  cost: CostInputs | null;
  /**
   * Peer engines to run beside tokenbench on the same model files (src/run/peers): each synthetic workload
   * is written to a GGUF file and both engines run that file. Null: none.
   */
  peers: PeerRequest | null;
}

/** The suite a request runs when it names none. */
export const DEFAULT_SUITE: SuiteName = 'standard';

/** A request for the suite's defaults, tuned, without cost inputs. */
export function defaultRunRequest(suite: SuiteName = DEFAULT_SUITE): RunRequest {
  return { suite, generation: {}, tune: { enabled: true }, cost: null, peers: null };
}
