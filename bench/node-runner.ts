/**
 * The Node runtime: the same request and the same `execute` as the page's worker, run in Node through Dawn
 * (npm `webgpu`), no browser. Built by vite.node.config.ts into one file, dist-node/tokenbench-node.mjs,
 * that imports only `webgpu` and Node built-ins, so it can be carried to a GPU server without node_modules:
 *
 *   node dist-node/tokenbench-node.mjs --suite standard --profile nvidia,unquantized --out r.json
 *
 * `npm run bench -- run --runtime node ...` builds it when missing or stale and runs it with the same
 * arguments. Same result schema; `runtime` records Node, the webgpu (Dawn) package and the Dawn options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDawnGpu, nodeRuntime } from '../src/runtime/dawn';
import { parseRunArgs } from './args';
import { driveOne } from './drivers/drive';
import { listAdapters, runNode } from './drivers/node';
import { prepareEnding } from './ending';
import { modelFilesProblem, openModelFiles } from './model-files';
import { withPeerFiles } from './peers/peers';
import { dawnSetup } from './profiles';

/** The runner is the Node runtime whatever the arguments say: add `--runtime node` when absent. */
export function withNodeRuntime(argv: readonly string[]): string[] {
  const args = [...argv];
  if (args.some((a) => a === '--runtime' || a.startsWith('--runtime='))) return args;
  const at = args[0] === 'run' ? 1 : 0;
  args.splice(at, 0, '--runtime', 'node');
  return args;
}

export async function nodeMain(argv: readonly string[]): Promise<number> {
  const o = parseRunArgs(withNodeRuntime(argv));
  if (typeof o === 'number') return o;
  // The Vulkan loader complains on every instance when this is unset (headless servers).
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), 'tokenbench-xdg-'));
  const setup = dawnSetup(o);
  if (o.listAdapters) return listAdapters(setup.options, setup.software);
  const prepared = prepareEnding(o);
  if (!prepared.ok) {
    process.stderr.write(`tokenbench: ${prepared.error}\n`);
    return 2;
  }
  const fileProblem = modelFilesProblem(o.modelFiles);
  if (fileProblem) {
    process.stderr.write(`tokenbench: ${fileProblem}\n`);
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
  // --peer: synthetic workloads become GGUF files that tokenbench and llama.cpp both run.
  const peered = await withPeerFiles(o);
  // Model files are opened when the run reads them, and closed when it is over.
  const files = openModelFiles(peered.o.modelFiles);
  try {
    return await driveOne(peered.o, prepared.ending, (ctx) => runNode(gpu, runtime, ctx, files.files));
  } finally {
    await files.close();
    peered.cleanup();
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
