/** `window.tokenbench` (typed in src/runtime/automation.ts): the page's runs, offered to automation. */
import { type RunRequest, TOOL, type TokenbenchApi, parseRunRequest } from '../runtime';
import type { BenchResult } from '../schema/result';

/** What the page lends the API: its one way to start a run, to cancel it, and when it is ready. */
export interface PageRuns {
  ready: Promise<void>;
  start(request: RunRequest): Promise<BenchResult>;
  cancel(): void;
}

/**
 * Installs `window.tokenbench`. Returns the function the page calls with every run it starts, whatever
 * started it, so that `result()` follows runs of the Run button and of `?autorun` too.
 */
export function installAutomation(page: PageRuns): (run: Promise<BenchResult>) => void {
  let latest: Promise<BenchResult> | null = null;
  let waiting: Array<(run: Promise<BenchResult>) => void> = [];
  window.tokenbench = {
    version: TOOL.version,
    ready: page.ready,
    async run(input) {
      const parsed = parseRunRequest(input);
      if (!parsed.ok) throw new Error(parsed.error);
      await page.ready;
      return page.start(parsed.value);
    },
    cancel: () => page.cancel(),
    result: () => latest ?? new Promise<Promise<BenchResult>>((resolve) => waiting.push(resolve)).then((run) => run),
    onProgress: null,
  } satisfies TokenbenchApi;
  return (run) => {
    latest = run;
    for (const resolve of waiting) resolve(run);
    waiting = [];
  };
}
