import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formats, resultRows, tokenRows } from '../../src/result/formats';
import { parseResult, parseResultText } from '../../src/schema/result';
import { resultOk } from '../../src/result/verdict';
import { validResult, validResultWithWorkload } from './fixtures';

/** Everything the page and the CLI do with an imported result, which must never throw. */
function consume(text: string): void {
  const parsed = parseResultText(text);
  if (!parsed.ok) {
    expect(parsed.error.length).toBeGreaterThan(0);
    return;
  }
  formats.json(parsed.result);
  formats.text(parsed.result);
  resultRows(parsed.result);
  tokenRows(parsed.result);
  resultOk(parsed.result);
}

type Json = unknown;

/** Replaces the value at a random path of `doc` (objects and arrays only) with `value`. */
function mutate(doc: Json, path: number[], value: Json, del: boolean): Json {
  if (doc === null || typeof doc !== 'object' || path.length === 0) return value;
  const keys = Object.keys(doc as object);
  if (keys.length === 0) return doc;
  const key = keys[(path[0] as number) % keys.length] as string;
  const copy: Record<string, Json> | Json[] = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, Json>) };
  if (del && path.length === 1 && !Array.isArray(copy)) {
    delete (copy as Record<string, Json>)[key];
    return copy;
  }
  (copy as Record<string, Json>)[key] = mutate((doc as Record<string, Json>)[key], path.slice(1), value, del);
  return copy;
}

const hostile = fc.constantFrom(
  '<img src=x onerror="globalThis.pwned=1">',
  '<script>globalThis.pwned=1</script>',
  '__proto__',
  'constructor',
  '\u0000\u202e',
  '1e309',
  -1,
  NaN,
  1e308,
  Number.MAX_SAFE_INTEGER,
  null,
  [],
  {},
);

describe('imported results are untrusted: random and mutated JSON never throws', () => {
  test('arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        consume(JSON.stringify(v));
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary strings (not necessarily JSON)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        consume(s);
      }),
      { numRuns: 300 },
    );
  });

  test('a valid result with one field replaced or deleted anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.oneof(fc.jsonValue(), hostile),
        fc.boolean(),
        (path, value, del) => {
          consume(JSON.stringify(mutate(validResult(), path, value, del)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a valid result with token workloads, one field replaced or deleted anywhere', () => {
    expect(parseResult(validResultWithWorkload()).ok).toBe(true);
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 9 }),
        fc.oneof(fc.jsonValue(), hostile),
        fc.boolean(),
        (path, value, del) => {
          consume(JSON.stringify(mutate(validResultWithWorkload(), path, value, del)));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('prototype keys in input do not pollute objects', () => {
    const text = JSON.stringify(validResult()).replace('"schema":', '"__proto__":{"polluted":1},"schema":');
    consume(text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const parsed = parseResult(JSON.parse(text));
    if (parsed.ok) expect(Object.prototype.hasOwnProperty.call(parsed.result, '__proto__')).toBe(false);
  });
});
