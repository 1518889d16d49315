import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

/** Relative import specifiers of a source file (imports, re-exports and `new URL(..., import.meta.url)`). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // A module URL is `new URL('./x', import.meta.url)`; `new URL('./', location.href)` is a page address, not an import.
  const modules = /(?:from\s+|import\s+)['"](\.[^'"]+)['"]|new URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url/g;
  return [...text.matchAll(modules)].map((m) => (m[1] ?? m[2]) as string);
}

describe('layering', () => {
  const ui = readdirSync(join(SRC, 'ui')).filter((f) => f.endsWith('.ts'));

  test.each(ui)('src/ui/%s imports only src/runtime, src/result, src/cost, src/schema and the page itself', (file) => {
    const bad = imports(join(SRC, 'ui', file)).filter((s) => !/^\.\/[\w-]+(\.css)?$/.test(s) && !/^\.\.\/(runtime|result|cost|schema)(\/|$)/.test(s));
    expect(bad).toEqual([]);
  });
});
