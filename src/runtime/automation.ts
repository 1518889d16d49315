/**
 * `window.tokenbench`: the bench page's automation API. The CLI's drivers (bench/drivers: Playwright,
 * WebDriver) and people's scripts start runs through it; a run started here shows in the page exactly like
 * one started with the Run button (progress, results, checkpoints). Types only: the page implements it
 * (src/ui/automation.ts).
 */
import type { Progress } from '../run/runner';
import type { BenchResult } from '../schema/result';
import type { DescribeOutcome } from './describe';
import type { RunRequestInput } from './request-text';

export interface TokenbenchApi {
  /** Version of the page (package.json), so a driver can tell which page it talks to. */
  readonly version: string;
  /** Resolves once the page has looked for its WebGPU device and takes runs (a run waits for it anyway). */
  readonly ready: Promise<void>;
  /**
   * The adapter the page found (its environment: vendor, features, whether it is a software adapter), or
   * why there is none; resolves once the page has looked. The command line reads it before it starts a run.
   */
  describe(): Promise<DescribeOutcome>;
  /**
   * Runs a request (src/run/request.ts; parts left out take their defaults). Resolves with the result
   * whatever its status (completed, cancelled, failed); rejects for a malformed request or while another
   * run is in progress. Without `tune.cache` the page uses the choices kept in this browser. A model file
   * (`{ gguf: "model.gguf" }` in `generation.models`) must be held already (picked, dropped or `addFiles`):
   * otherwise it rejects naming the files missing.
   */
  run(request: RunRequestInput): Promise<BenchResult>;
  /** Cancels the run in progress; it resolves with the phases that finished. */
  cancel(): void;
  /**
   * Hands the page model files (File objects: from a file input, a drop, or made by a script), as picking
   * them does; a request then names each by its file name (`{ gguf: "model.gguf" }`). A file of the same
   * name replaces the one held. Throws, taking none, when one is not a `.gguf` File. Returns the names held.
   */
  addFiles(files: Iterable<File> | ArrayLike<File>): string[];
  /** The model files the page holds, in order: name and size in bytes. */
  files(): Array<{ name: string; size: number }>;
  /** Forgets a model file (or a name asked for but not picked); false when there was none. */
  removeFile(name: string): boolean;
  /** The result of the run in progress, else of the last one that finished, else of the next one to start. */
  result(): Promise<BenchResult>;
  /** Receives the progress of every run on this page (Run button, autorun or `run`); null for none. */
  onProgress: ((p: Progress) => void) | null;
}

declare global {
  interface Window {
    tokenbench: TokenbenchApi;
  }
}
