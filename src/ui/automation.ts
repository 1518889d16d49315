/** `window.tokenbench` (typed in src/runtime/automation.ts): the page's runs, offered to automation. */
import { type DescribeOutcome, type RunRequest, TOOL, type TokenbenchApi, parseRunRequest } from '../runtime';
import type { BenchResult } from '../schema/result';

/** What the page lends the API: its one way to start a run, to cancel it, when it is ready, its device and its model files. */
export interface PageRuns {
  ready: Promise<void>;
  /** What the page's look for its device found. */
  described: Promise<DescribeOutcome>;
  start(request: RunRequest): Promise<BenchResult>;
  cancel(): void;
  files: {
    /** Takes model files (throws, taking none, when one is not a .gguf file); returns the names held. */
    add(files: File[]): string[];
    list(): Array<{ name: string; size: number }>;
    remove(name: string): boolean;
  };
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
    describe: () => page.described,
    async run(input) {
      const parsed = parseRunRequest(input);
      if (!parsed.ok) throw new Error(parsed.error);
      await page.ready;
      return page.start(parsed.value);
    },
    cancel: () => page.cancel(),
    addFiles(files) {
      const list = Array.from(files as ArrayLike<unknown>);
      const bad = list.findIndex((f) => !(f instanceof File));
      if (bad >= 0) throw new Error(`addFiles: item ${bad} is not a File`);
      return page.files.add(list as File[]);
    },
    files: () => page.files.list(),
    removeFile: (name) => page.files.remove(name),
    result: () => latest ?? new Promise<Promise<BenchResult>>((resolve) => waiting.push(resolve)).then((run) => run),
    onProgress: null,
  } satisfies TokenbenchApi;
  return (run) => {
    latest = run;
    for (const resolve of waiting) resolve(run);
    waiting = [];
  };
}
