import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ICruiseOptions, type ICruiseResult, type IViolation, cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// The architecture as a test: the layering rules of .dependency-cruiser.cjs (also `npm run check:deps`),
// a length limit on the engine's functions, and no DOM globals in code that must run in a worker and in Node.

const root = fileURLToPath(new URL('../..', import.meta.url));
const CRUISE_TIMEOUT_MS = 120_000;

/** The longest function allowed in the engine folders, counted from its first to its last line. */
const MAX_FUNCTION_LINES = 80;
const LENGTH_CHECKED = ['src/run', 'src/measure', 'src/core', 'src/kernels'];
/** Code that runs in the worker, in Node (Dawn) and in the tests: no DOM. */
const DOM_FREE = ['src/gpu', 'src/core', 'src/measure', 'src/kernels', 'src/model', 'src/run'];

/** TypeScript sources under `dir` (relative to the repository root), recursively, as root-relative paths. */
function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .sort();
}

function parse(file: string, text = readFileSync(join(root, file), 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

async function cruiseWithConfig(baseDir: string, dirs: string[], tsConfigFile?: string): Promise<ICruiseResult> {
  const options: ICruiseOptions = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const tsConfig = tsConfigFile ? extractTSConfig(tsConfigFile) : undefined;
  if (!tsConfigFile) delete options.tsConfig;
  const { output } = await cruise(dirs, { ...options, baseDir }, undefined, tsConfig ? { tsConfig } : undefined);
  if (typeof output === 'string') throw new Error(`dependency-cruiser returned text instead of a result: ${output.slice(0, 200)}`);
  return output;
}

function describeViolation(v: IViolation): string {
  const path = v.cycle?.length ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`;
  return `${v.rule.name}: ${path}`;
}

describe('layering (.dependency-cruiser.cjs)', () => {
  let result: ICruiseResult;
  beforeAll(async () => {
    result = await cruiseWithConfig(root, ['src', 'bench'], join(root, 'tsconfig.json'));
  }, CRUISE_TIMEOUT_MS);

  test('the cruise sees every module of src/ and bench/', () => {
    const seen = result.modules.map((m) => m.source).filter((s) => /^(src|bench)\/.*\.ts$/.test(s));
    expect(seen.sort()).toEqual([...tsFiles('src'), ...tsFiles('bench')].sort());
  });

  test('no import breaks a layering rule', () => {
    expect(result.summary.violations.map(describeViolation)).toEqual([]);
  });
});

/**
 * The rules themselves, each case on a made-up tree of its own: files importing files, and the rules the
 * case must trip (none: allowed). A rule that cannot fail would pass the real tree for the wrong reason.
 */
const ruleCases: { imports: [from: string, to: string][]; rules: string[]; targetsMissing?: true }[] = [
  { imports: [['src/schema/a.ts', 'src/gpu/t.ts']], rules: ['layer-schema'] },
  { imports: [['src/csp.ts', 'src/schema/t.ts']], rules: ['layer-leaf-files'] },
  { imports: [['src/gpu/a.ts', 'src/schema/t.ts']], rules: [] },
  { imports: [['src/gpu/a.ts', 'src/version.ts']], rules: [] },
  { imports: [['src/gpu/a.ts', 'src/core/t.ts']], rules: ['layer-gpu'] },
  { imports: [['src/core/a.ts', 'src/gpu/t.ts']], rules: [] },
  { imports: [['src/core/a.ts', 'src/measure/t.ts']], rules: ['layer-core'] },
  { imports: [['src/measure/a.ts', 'src/core/t.ts']], rules: [] },
  { imports: [['src/measure/a.ts', 'src/kernels/matmul/t.ts']], rules: ['layer-measure'] },
  { imports: [['src/kernels/linear/a.ts', 'src/kernels/matmul/t.ts']], rules: [] },
  { imports: [['src/kernels/linear/a.ts', 'src/model/t.ts']], rules: ['layer-kernels'] },
  { imports: [['src/kernels/linear/a.ts', 'src/measure/t.ts']], rules: ['layer-kernels'] },
  { imports: [['src/model/a.ts', 'src/kernels/linear/t.ts']], rules: [] },
  { imports: [['src/model/a.ts', 'src/run/t.ts']], rules: ['layer-model'] },
  { imports: [['src/cost/a.ts', 'src/schema/t.ts']], rules: [] },
  { imports: [['src/cost/a.ts', 'src/model/t.ts']], rules: ['layer-cost'] },
  { imports: [['src/result/a.ts', 'src/model/t.ts']], rules: [] },
  { imports: [['src/result/a.ts', 'src/run/t.ts']], rules: ['layer-result'] },
  { imports: [['src/result/a.ts', 'src/kernels/linear/t.ts']], rules: ['layer-result'] },
  { imports: [['src/run/a.ts', 'src/cost/t.ts']], rules: [] },
  { imports: [['src/run/a.ts', 'src/result/t.ts']], rules: ['layer-run'] },
  { imports: [['src/run/a.ts', 'src/runtime/t.ts']], rules: ['layer-run'] },
  { imports: [['src/runtime/a.ts', 'src/run/t.ts']], rules: [] },
  { imports: [['src/runtime/a.ts', 'src/ui/t.ts']], rules: ['layer-runtime'] },
  { imports: [['src/ui/a.ts', 'src/runtime/t.ts']], rules: [] },
  { imports: [['src/ui/a.ts', 'src/run/t.ts']], rules: ['layer-ui'] },
  { imports: [['src/ui/a.ts', 'src/gpu/t.ts']], rules: ['layer-ui'] },
  { imports: [['src/worker/a.ts', 'src/gpu/t.ts']], rules: ['layer-unknown'] },
  { imports: [['src/gpu/a.ts', 'bench/t.ts']], rules: ['src-not-to-bench'] },
  { imports: [['bench/a.ts', 'src/ui/t.ts']], rules: [] },
  { imports: [['src/gpu/a.ts', 'src/gpu/t.ts']], rules: ['not-to-unresolvable'], targetsMissing: true },
  {
    imports: [
      ['src/kernels/attention/a.ts', 'src/kernels/transformer/t.ts'],
      ['src/kernels/transformer/a.ts', 'src/kernels/attention/t.ts'],
    ],
    rules: ['no-folder-cycles'],
  },
];

describe('the layering rules catch what they should', () => {
  let fixtures: string;
  beforeAll(() => {
    fixtures = mkdtempSync(join(tmpdir(), 'tokenbench-layers-'));
  });
  afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

  test.each(ruleCases.map((c, i) => [`${c.imports.map(([f, t]) => `${f} → ${t}`).join(', ')}: ${c.rules.join(', ') || 'allowed'}`, i] as const))(
    '%s',
    async (_name, i) => {
      const { imports, rules, targetsMissing } = ruleCases[i]!;
      const dir = join(fixtures, String(i));
      const write = (file: string, text: string) => {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      };
      mkdirSync(join(dir, 'bench'), { recursive: true });
      for (const [from, to] of imports) {
        const spec = relative(dirname(from), to).replace(/\.ts$/, '');
        // A type-only import: it couples layers as much as a value import does.
        write(from, `import type {} from '${spec.startsWith('.') ? spec : `./${spec}`}';\nexport {};\n`);
        if (!targetsMissing) write(to, 'export {};\n');
      }
      const { violations } = (await cruiseWithConfig(dir, ['src', 'bench'])).summary;
      expect([...new Set(violations.map((v) => v.rule.name))]).toEqual(rules);
    },
    CRUISE_TIMEOUT_MS,
  );
});

interface LongFunction {
  file: string;
  line: number;
  name: string;
  length: number;
}

/** What a failure calls a function: its name, its class or variable, or the call it is passed to. */
function functionName(node: ts.SignatureDeclaration, sf: ts.SourceFile): string {
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
  if (node.name) return owner + node.name.getText(sf);
  const p = node.parent;
  if ((ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return p.name.getText(sf);
  if (ts.isBinaryExpression(p)) return p.left.getText(sf);
  if (ts.isCallExpression(p)) return `callback of ${p.expression.getText(sf).slice(0, 40)}()`;
  return '<anonymous>';
}

/** Every function declaration, method, accessor, constructor, arrow function and function expression with a body longer than `max` lines. */
function longFunctions(sf: ts.SourceFile, max: number): LongFunction[] {
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = last - first + 1;
      if (length > max) found.push({ file: sf.fileName, line: first + 1, name: functionName(node, sf), length });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe(`no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
  test('the count: first to last line, every kind of function, overload signatures skipped', () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const sf = parse(
      'sample.ts',
      [
        `/** doc comments do not count */\nexport function decl(): void {\n${body(5)}\n}`,
        `function short(): void {\n${body(4)}\n}`,
        `function over(a: number): void;\nfunction over(a: unknown): void {\n${body(6)}\n}`,
        `class K {\n  method(): void {\n${body(5)}\n  }\n  constructor() {\n${body(5)}\n  }\n}`,
        `const arrow = () => {\n${body(5)}\n};`,
        `const expr = function () {\n${body(5)}\n};`,
        `[1].map((x) => {\n${body(5)}\n  return x;\n});`,
      ].join('\n'),
    );
    expect(longFunctions(sf, 4).map((f) => `${f.name} ${f.length}`)).toEqual([
      'decl 5',
      'over 6',
      'K.method 5',
      'K.constructor 5',
      'arrow 5',
      'expr 5',
      'callback of [1].map() 6',
    ]);
  });

  test.each(LENGTH_CHECKED)('%s', (dir) => {
    const found = tsFiles(dir).flatMap((f) => longFunctions(parse(f), MAX_FUNCTION_LINES));
    expect(found.map((f) => `${f.file}:${f.line} ${f.name} (${f.length})`)).toEqual([]);
  });
});

/** Browser-page globals; `navigator`, `self`, timers, `fetch` and `performance` exist in workers and in Node too. */
const DOM_GLOBALS = new Set(['document', 'window', 'localStorage', 'sessionStorage', 'customElements', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame']);
const isDomName = (name: string) => DOM_GLOBALS.has(name) || /^HTML\w*Element$/.test(name);

/** Whether this identifier names the global, not a property, key or member (`x.window`, `{ window: 1 }`). */
function isGlobalReference(id: ts.Identifier, sf: ts.SourceFile): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return /^(globalThis|self)$/.test(p.expression.getText(sf));
  if (ts.isQualifiedName(p) && p.right === id) return false;
  const named = ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p);
  return !(named && p.name === id);
}

/** References to DOM globals (identifiers, `globalThis.x`), not property names, strings or comments. */
function domReferences(sf: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && isDomName(node.text) && isGlobalReference(node, sf)) {
      found.push(`${sf.fileName}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1} ${node.text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

describe('no DOM globals in the engine', () => {
  test('references count, property names, strings and comments do not', () => {
    const sf = parse(
      'sample.ts',
      [
        'const a = document.title; // window',
        "const b = { window: 1, s: 'document' };",
        'const c = b.window + globalThis.localStorage.length;',
        'let d: HTMLCanvasElement | undefined;',
      ].join('\n'),
    );
    expect(domReferences(sf)).toEqual(['sample.ts:1 document', 'sample.ts:3 localStorage', 'sample.ts:4 HTMLCanvasElement']);
  });

  test.each(DOM_FREE)('%s', (dir) => {
    expect(tsFiles(dir).flatMap((f) => domReferences(parse(f)))).toEqual([]);
  });
});
