/**
 * Runs a RunRequest on a GPU: the one entry every front-end uses (the page's worker, the Node runner), so a
 * request means the same everywhere and the cost block is attached in one place. Never throws for GPU
 * trouble: failures are recorded in the returned result (src/run/runner.ts).
 */
import { withCost } from '../cost/model';
import type { CancelSignal } from '../gpu/errors';
import type { ModelFiles } from '../run/files';
import type { RunRequest } from '../run/request';
import { type RunConditions, type RunHooks, runSuite } from '../run/runner';
import type { BenchResult, Runtime } from '../schema/result';

/** Where a run happens: what the result records about the runtime, and what its caller observes meanwhile. */
export interface RunPlace {
  runtime: Runtime;
  /** The page's visibility (browsers only); mutated by the caller during the run. */
  conditions?: RunConditions;
  /** The model files this place can read (GGUF references of the request); absent: none. */
  files?: ModelFiles;
}

export async function execute(
  gpu: GPU | undefined,
  request: RunRequest,
  place: RunPlace,
  hooks: RunHooks = {},
  signal: CancelSignal = { cancelled: false },
): Promise<BenchResult> {
  const result = await runSuite(
    gpu,
    {
      suite: request.suite,
      runtime: place.runtime,
      ...(place.conditions ? { conditions: place.conditions } : {}),
      ...(place.files ? { files: place.files } : {}),
      overrides: { generation: request.generation, ...(request.peers ? { peers: request.peers } : {}) },
      tune: request.tune,
    },
    hooks,
    signal,
  );
  return request.cost ? withCost(result, request.cost) : result;
}
