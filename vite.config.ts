import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { CSP_META } from './src/csp.ts';
import { defineConfig } from 'vitest/config';

/** The results board's tests: a project of their own, for their PostgreSQL server. */
const BOARD_TESTS = 'test/unit/board-*.test.ts';

/** Adds the page's Content-Security-Policy (src/csp.ts) to the built HTML. */
function cspPlugin(): Plugin {
  return {
    name: 'tokenbench-csp',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${CSP_META}" />`),
  };
}

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/** The commit the build came from; "-dirty" when the work tree has uncommitted changes. */
function gitCommit(): string {
  try {
    const run = (cmd: string) => execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const sha = run('git rev-parse HEAD');
    return run('git status --porcelain --untracked-files=no') ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export default defineConfig({
  plugins: [cspPlugin()],
  define: {
    __TOKENBENCH_VERSION__: JSON.stringify(pkg.version),
    __TOKENBENCH_COMMIT__: JSON.stringify(gitCommit()),
  },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // Four pages: the bench (index.html), the result comparison (compare.html), and the results board's own two
    // (board.html; submit.html, which the bench page opens to hand a result to a board of another origin).
    rollupOptions: { input: { main: 'index.html', compare: 'compare.html', board: 'board.html', submit: 'submit.html' } },
  },
  test: {
    // One file at a time: GPU tests (SwiftShader) and browser tests each use every core of a 2-core CI box.
    fileParallelism: false,
    maxWorkers: 1,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: [BOARD_TESTS], environment: 'node' },
      },
      {
        // The results board's tests, on the embedded engine and on a throwaway PostgreSQL server that the
        // globalSetup starts once for the run (only when these files run) and removes at the end.
        extends: true,
        test: { name: 'board', include: [BOARD_TESTS], environment: 'node', globalSetup: ['test/unit/board-postgres.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          pool: 'forks',
          setupFiles: ['test/gpu/setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // board-submit.test.ts submits to a board on PostgreSQL: the board project's throwaway server.
          globalSetup: ['test/unit/board-postgres.ts'],
          pool: 'forks',
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
