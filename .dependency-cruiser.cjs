/**
 * tokenbench's layering, checked by dependency-cruiser (`npm run check:deps`, and
 * test/unit/architecture.test.ts in `npm test`).
 *
 * Layers, lowest first; a module may import its own layer and the layers named in its rule, nothing else
 * in src/. Type-only imports count too (`tsPreCompilationDeps`): a type pulled from a higher layer couples
 * the layers as much as a value does.
 *
 *   schema, version.ts, csp.ts      leaves: import nothing from src/
 *   gpu                             → schema
 *   core                            → gpu, schema
 *   measure                         → core, gpu, schema
 *   kernels/<family>                → core, gpu, schema, other families (no cycles)
 *   model                           → kernels, core, gpu, schema
 *   cost                            → schema
 *   result                          → measure, model, cost, schema
 *   run                             → model, kernels, measure, core, gpu, cost, schema
 *   runtime                         → run, result, cost and everything below; never ui
 *   ui                              → runtime, result, cost, schema; never the engine below runtime
 *   bench/ (Node CLI)               → anything in src/; src/ never imports bench/
 *
 * The two leaf files may be imported from every layer except schema. "No DOM in the engine" (gpu, core,
 * measure, kernels, model, run) is about globals, not imports, so dependency-cruiser cannot see it: the
 * architecture test checks it with the TypeScript parser.
 */

/** A path regex for the given src/ layer folders plus the two leaf files, which every layer may import. */
const layers = (...names) => `^src/(${[...names.map((n) => `${n}/`), 'version\\.ts$', 'csp\\.ts$'].join('|')})`;

/** One rule per layer: from that layer, any src/ module outside the allowed ones is forbidden. */
const layerRule = (name, comment, allowed) => ({
  name: `layer-${name}`,
  comment,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: layers(name, ...allowed) },
});

module.exports = {
  forbidden: [
    {
      name: 'layer-schema',
      comment: 'src/schema (the result schema) is a leaf: it imports nothing else from src/.',
      severity: 'error',
      from: { path: '^src/schema/' },
      to: { path: '^src/', pathNot: '^src/schema/' },
    },
    {
      name: 'layer-leaf-files',
      comment: 'src/version.ts and src/csp.ts are leaves: constants that import nothing from src/.',
      severity: 'error',
      from: { path: '^src/(version|csp)\\.ts$' },
      to: { path: '^src/' },
    },
    layerRule('gpu', 'src/gpu (device, buffers, error scopes, WGSL text) sits on the schema only.', ['schema']),
    layerRule('core', 'src/core (work, variants, verification, tensors) → gpu, schema.', ['gpu', 'schema']),
    layerRule('measure', 'src/measure (timer, statistics) → core, gpu, schema; it times work, it does not know kernels.', ['core', 'gpu', 'schema']),
    layerRule('kernels', 'src/kernels/<family> → core, gpu, schema and other families (acyclic: no-folder-cycles); never model, measure or run.', ['core', 'gpu', 'schema']),
    layerRule('model', 'src/model (architectures, forward pass) → kernels, core, gpu, schema; never measure or run.', ['kernels', 'core', 'gpu', 'schema']),
    layerRule('cost', 'src/cost (prices, energy) is arithmetic on the schema.', ['schema']),
    layerRule('result', 'src/result (formats, compare, gate) → measure, model, cost, schema: it reads results, it runs no GPU work.', ['measure', 'model', 'cost', 'schema']),
    layerRule('run', 'src/run (runner, phases, tuning) → model, kernels, measure, core, gpu, cost, schema; never result, runtime or ui.', [
      'model', 'kernels', 'measure', 'core', 'gpu', 'cost', 'schema',
    ]),
    layerRule('runtime', 'src/runtime (worker, Dawn) → run, result, cost and everything below; never ui.', [
      'run', 'result', 'cost', 'model', 'kernels', 'measure', 'core', 'gpu', 'schema',
    ]),
    layerRule('ui', 'src/ui → runtime, result, cost, schema only: the page reaches the engine through the runtime (the worker), never run/model/kernels/measure/core/gpu directly.', [
      'runtime', 'result', 'cost', 'schema',
    ]),
    {
      name: 'layer-unknown',
      comment: 'Every module in src/ belongs to a layer above; a new folder gets a rule here before it gets code.',
      severity: 'error',
      from: { path: '^src/', pathNot: layers('schema', 'gpu', 'core', 'measure', 'kernels', 'model', 'cost', 'result', 'run', 'runtime', 'ui') },
      to: {},
    },
    {
      name: 'src-not-to-bench',
      comment: 'bench/ is the Node CLI on top of src/; src/ never imports it (the page and the worker would pull in Node).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^bench/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import dependency-cruiser cannot resolve is an edge no rule above sees (tsc reports modules that are really missing). WGSL imported with ?raw is text, not a module.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '\\.wgsl\\?raw$' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'No import cycle between folders, kernel families included: a cycle makes two folders one layer.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(src|bench)/' },
      to: { circular: true },
    },
  ],
  options: {
    // Packages and Node built-ins are leaves: the rules are about our own modules.
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
