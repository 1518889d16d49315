/**
 * `run --runtime node` from the CLI: (re)builds the bundled Node runner when it is missing or older than
 * its sources, then runs it with the same arguments and returns its exit code. The CLI itself runs under
 * tsx, which cannot load the suite's `?raw` WGSL imports; the bundle has them inlined.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_BUNDLE = join(ROOT, 'dist-node', 'tokenbench-node.mjs');

/** What the bundle is built from. */
const SOURCES = ['src', 'shaders', 'bench', 'vite.node.config.ts', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether the bundle is missing or older than any of its sources. */
export function bundleStale(root = ROOT, bundle = NODE_BUNDLE): boolean {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(root, s)) > built);
}

/** Builds dist-node/tokenbench-node.mjs with Vite (vite.node.config.ts). */
export function buildNodeBundle(root = ROOT): { ok: true } | { ok: false; error: string } {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) return { ok: false, error: `${vite} not found: run npm install` };
  const r = spawnSync(process.execPath, [vite, 'build', '-c', 'vite.node.config.ts', '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (r.status !== 0) return { ok: false, error: `building the Node runner failed (vite exit ${r.status ?? r.signal})` };
  return { ok: true };
}

/**
 * Runs the bundled runner with `argv` (the CLI's own arguments). The child gets its own process group so
 * that a Ctrl-C reaches it once, forwarded from here, and cancels its run like in the browser.
 */
export async function runNodeRuntime(argv: readonly string[]): Promise<number> {
  if (bundleStale()) {
    process.stderr.write('tokenbench: building the Node runner (dist-node/tokenbench-node.mjs)\n');
    const built = buildNodeBundle();
    if (!built.ok) {
      process.stderr.write(`tokenbench: ${built.error}\n`);
      return 2;
    }
  }
  const child = spawn(process.execPath, [NODE_BUNDLE, ...argv], { stdio: 'inherit', detached: true });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((done) => {
      child.on('error', (e) => {
        process.stderr.write(`tokenbench: could not start the Node runner: ${e.message}\n`);
        done(1);
      });
      child.on('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
