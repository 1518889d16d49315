/**
 * Bundles the Node runtime (bench/node-runner.ts) into one file, dist-node/tokenbench-node.mjs, that
 * imports only `webgpu` and Node built-ins: the suite's WGSL comes in through Vite's `?raw` imports and
 * zod is inlined. Carry it to a GPU server with the `webgpu` package and run it with plain `node`.
 *   vite build -c vite.node.config.ts   (npm run build:node; the CLI runs it when the bundle is stale)
 */
import { defineConfig } from 'vite';
import base from './vite.config.ts';

export default defineConfig({
  define: base.define,
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'bench/node-runner.ts',
    outDir: 'dist-node',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: { output: { entryFileNames: 'tokenbench-node.mjs', format: 'es' } },
  },
  ssr: { target: 'node', noExternal: true, external: ['webgpu'] },
});
