/**
 * The Node runtime: the same suite modules as the page, run in Node through Dawn (npm `webgpu`), no
 * browser. Built by vite.node.config.ts into one file, dist-node/tokenbench-node.mjs, that imports only
 * `webgpu` and Node built-ins, so it can be carried to a GPU server without node_modules:
 *
 *   node dist-node/tokenbench-node.mjs --suite standard --preset nvidia,unquantized --out r.json
 *
 * `npm run bench -- run --runtime node ...` builds it when missing or stale and runs it with the same
 * arguments. Same result schema; `runtime` records Node, the webgpu (Dawn) package and the Dawn options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResult } from '../src/schema/result';
import { runSuite } from '../src/run/runner';
import { parseRunArgs } from './args';
import { applyCost } from './cost-args';
import { createDawnGpu, nodeRuntime } from '../src/runtime/dawn';
import { dawnSetup, parseAdapterList } from './node-options';
import { finishResult, prepareReport } from './report';
import { handleInterrupt, progressReporter } from './terminal';
import { defaultTuneCachePath, keepTuning, loadTuneCacheFile } from './tune-cache';

/** The runner is the Node runtime whatever the arguments say: add `--runtime node` when absent. */
export function withNodeRuntime(argv: readonly string[]): string[] {
  const args = [...argv];
  if (args.some((a) => a === '--runtime' || a.startsWith('--runtime='))) return args;
  const at = args[0] === 'run' ? 1 : 0;
  args.splice(at, 0, '--runtime', 'node');
  return args;
}

/** Prints every adapter Dawn offers with these options (backend, toggles), with its details. */
async function listAdapters(options: string[], software: boolean): Promise<number> {
  const base = options.filter((o) => !o.startsWith('adapter='));
  // Dawn lists the adapters when asked for one that does not exist.
  const probe = createDawnGpu([...base, 'adapter=\u0001tokenbench-list-adapters'], software);
  let listed: Array<{ backend: string; name: string }> = [];
  try {
    const a = await probe.requestAdapter();
    if (a) process.stderr.write('tokenbench: Dawn returned an adapter for a name that cannot exist; listing the default adapter only\n');
  } catch (e) {
    listed = parseAdapterList((e as Error).message);
  }
  if (!listed.length) {
    process.stdout.write(`no adapters (Dawn options: ${base.join(' ') || 'none'})\n`);
    return 1;
  }
  process.stdout.write(`Dawn adapters (options: ${base.join(' ') || 'none'}):\n`);
  for (const { backend, name } of listed) {
    let detail = '';
    try {
      const gpu = createDawnGpu([...base.filter((o) => !o.startsWith('backend=')), `backend=${backend}`, `adapter=${name}`], software);
      const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (a) {
        const i = a.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
        const wanted = ['shader-f16', 'timestamp-query', 'subgroups', 'chromium-experimental-subgroup-matrix'].filter((f) => a.features.has(f));
        detail = ` · ${[i.vendor, i.architecture, i.description].filter(Boolean).join(' / ')}${i.isFallbackAdapter ? ' · fallback' : ''} · ${wanted.join(', ') || 'no optional features'}`;
      }
    } catch (e) {
      detail = ` · could not open: ${(e as Error).message.split('\n')[0]}`;
    }
    process.stdout.write(`  ${backend}\t${name}${detail}\n`);
  }
  process.stdout.write('Pick one with --adapter "NAME" (a part of the name is enough).\n');
  return 0;
}

export async function nodeMain(argv: readonly string[]): Promise<number> {
  const opts = parseRunArgs(withNodeRuntime(argv));
  if (typeof opts === 'number') return opts;
  // The Vulkan loader complains on every instance when this is unset (headless servers).
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'tokenbench-xdg-'));
  const setup = dawnSetup(opts);
  if (opts.listAdapters) return listAdapters(setup.options, setup.software);
  const prepared = prepareReport(opts);
  if (!prepared.ok) {
    process.stderr.write(`tokenbench: ${prepared.error}\n`);
    return 2;
  }
  let gpu: GPU;
  try {
    gpu = createDawnGpu(setup.options, setup.software);
  } catch (e) {
    process.stderr.write(`tokenbench: ${(e as Error).message}\n`);
    return 2;
  }
  const runtime = nodeRuntime(setup.options);
  process.stderr.write(`tokenbench: Node ${runtime.node} · ${runtime.dawn} · Dawn options: ${setup.options.join(' ') || 'none'}` +
    `${process.env.VK_ICD_FILENAMES ? ` · VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : ''}\n`);
  const signal = { cancelled: false };
  const stopHandling = handleInterrupt(() => (signal.cancelled = true));
  const progress = progressReporter(opts.quiet);
  const tuneCachePath = opts.tuneCache ?? defaultTuneCachePath();
  const tune = { enabled: opts.tune, cache: opts.tune ? loadTuneCacheFile(tuneCachePath) : {} };
  try {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, fail) => {
      timer = setTimeout(() => {
        signal.cancelled = true;
        fail(new Error(`no result within ${opts.timeoutS} s (--timeout)`));
      }, opts.timeoutS * 1000);
    });
    timedOut.catch(() => undefined);
    let result;
    try {
      result = await Promise.race([
        runSuite(gpu, { suite: opts.suite, runtime, overrides: { generation: opts.generation }, tune }, { onProgress: (p) => progress.update(p) }, signal),
        timedOut,
      ]);
    } finally {
      clearTimeout(timer);
      progress.done(result);
    }
    // The page attaches the cost block itself; here the runner does (no --hourly-price etc.: none).
    const checked = parseResult(JSON.parse(JSON.stringify(applyCost(result, opts.cost))));
    if (!checked.ok) {
      process.stderr.write(`tokenbench: the run produced a result that fails the schema: ${checked.error}\n`);
      return 1;
    }
    if (opts.tune) keepTuning(tuneCachePath, checked.result);
    return finishResult(checked.result, opts, prepared.baseline);
  } catch (e) {
    process.stderr.write(`tokenbench: run failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    stopHandling();
  }
}

const isEntry = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  nodeMain(process.argv.slice(2)).then(
    // Exit explicitly: a live Dawn instance keeps the event loop running.
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`tokenbench: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
