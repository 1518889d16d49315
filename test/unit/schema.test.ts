import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  type BenchResult,
  MAX_IMPORT_BYTES,
  SCHEMA_VERSION,
  parseResult,
  parseResultText,
  resultJsonSchema,
} from '../../src/schema/result';
import { validResult } from './fixtures';

/** Narrows a parse outcome to its error, failing the test with the result when it parsed. */
function errorOf(outcome: ReturnType<typeof parseResult>): string {
  if (outcome.ok) throw new Error('expected a parse error, got a valid result');
  return outcome.error;
}

/** Mutable view of a result: `any` on purpose, since each case reaches in to break one field of any type. */
type Loose = Record<string, any>;

describe('a valid result', () => {
  test('the fixture parses', () => {
    const outcome = parseResult(validResult());
    expect(outcome.ok, outcome.ok ? '' : outcome.error).toBe(true);
  });

  test('the fixture covers ok, skipped and invalid measurements in a completed phase', () => {
    const phase = validResult().phases[0];
    expect(phase?.state).toBe('completed');
    expect(phase?.measurements.map((m) => m.state)).toEqual(['ok', 'skipped', 'invalid']);
  });

  test('round-trips through JSON and stays deep-equal', () => {
    const original = validResult();
    const outcome = parseResultText(JSON.stringify(original));
    expect(outcome.ok, outcome.ok ? '' : outcome.error).toBe(true);
    if (outcome.ok) expect(outcome.result).toEqual(original);
  });

  test('pretty-printed JSON parses the same', () => {
    const outcome = parseResultText(JSON.stringify(validResult(), null, 2));
    expect(outcome.ok && outcome.result).toEqual(validResult());
  });

  test('a failed run without environment or timer is valid', () => {
    const r: BenchResult = {
      ...validResult(),
      status: 'failed',
      environment: null,
      timer: null,
      phases: [],
      errors: [{ source: 'setup', message: 'requestAdapter() returned null', at: '2025-01-02T03:04:05.100Z' }],
      verification: { state: 'none', passed: 0, failed: 0 },
    };
    expect(parseResult(r).ok).toBe(true);
  });
});

describe('invalid results name the JSON path of the first invalid field', () => {
  test.each<{ name: string; path: string; breakIt: (r: Loose) => void }>([
    {
      name: 'wrong schemaVersion',
      path: '$.schemaVersion',
      breakIt: (r) => (r.schemaVersion = SCHEMA_VERSION + 1),
    },
    { name: 'wrong schema id', path: '$.schema', breakIt: (r) => (r.schema = 'someone-else/result') },
    { name: 'missing tool', path: '$.tool', breakIt: (r) => delete r.tool },
    { name: 'wrong tool name', path: '$.tool.name', breakIt: (r) => (r.tool.name = 'otherbench') },
    { name: 'startedAt not an ISO date', path: '$.startedAt', breakIt: (r) => (r.startedAt = 'yesterday') },
    { name: 'unknown status', path: '$.status', breakIt: (r) => (r.status = 'done') },
    { name: 'zero reps', path: '$.config.reps', breakIt: (r) => (r.config.reps = 0) },
    {
      name: 'non-finite device limit',
      path: '$.environment.deviceLimits.maxBufferSize',
      breakIt: (r) => (r.environment.deviceLimits.maxBufferSize = Infinity),
    },
    {
      name: 'negative timer resolution',
      path: '$.timer.resolutionNs',
      breakIt: (r) => (r.timer.resolutionNs = -1),
    },
    {
      name: 'negative phase duration',
      path: '$.phases[0].durationMs',
      breakIt: (r) => (r.phases[0].durationMs = -5),
    },
    {
      name: 'unknown phase state',
      path: '$.phases[0].state',
      breakIt: (r) => (r.phases[0].state = 'finished'),
    },
    {
      name: 'negative sample',
      path: '$.phases[0].measurements[0].timing.samplesNs[1]',
      breakIt: (r) => (r.phases[0].measurements[0].timing.samplesNs[1] = -900),
    },
    {
      name: 'NaN sample',
      path: '$.phases[0].measurements[0].timing.samplesNs[2]',
      breakIt: (r) => (r.phases[0].measurements[0].timing.samplesNs[2] = Number.NaN),
    },
    {
      name: 'no samples',
      path: '$.phases[0].measurements[0].timing.samplesNs',
      breakIt: (r) => (r.phases[0].measurements[0].timing.samplesNs = []),
    },
    {
      name: 'fractional summary count',
      path: '$.phases[0].measurements[0].timing.perUnitNs.n',
      breakIt: (r) => (r.phases[0].measurements[0].timing.perUnitNs.n = 2.5),
    },
    {
      name: 'unknown metric unit',
      path: '$.phases[0].measurements[0].metric.unit',
      breakIt: (r) => (r.phases[0].measurements[0].metric.unit = 'tok/s'),
    },
    {
      name: 'ok measurement without timing',
      path: '$.phases[0].measurements[0].timing',
      breakIt: (r) => delete r.phases[0].measurements[0].timing,
    },
    {
      name: 'skipped measurement without reason',
      path: '$.phases[0].measurements[1].reason',
      breakIt: (r) => delete r.phases[0].measurements[1].reason,
    },
    {
      name: 'unknown measurement state',
      path: '$.phases[0].measurements[1].state',
      breakIt: (r) => (r.phases[0].measurements[1].state = 'pending'),
    },
    {
      name: 'verification error below -1',
      path: '$.phases[0].measurements[2].verification.error',
      breakIt: (r) => (r.phases[0].measurements[2].verification.error = -2),
    },
    {
      name: 'empty measurement id',
      path: '$.phases[0].measurements[2].id',
      breakIt: (r) => (r.phases[0].measurements[2].id = ''),
    },
    {
      name: 'negative verification count',
      path: '$.verification.failed',
      breakIt: (r) => (r.verification.failed = -1),
    },
  ])('$name → $path', ({ path, breakIt }) => {
    const r = validResult() as Loose;
    breakIt(r);
    const error = errorOf(parseResult(r));
    expect(error).toMatch(/^invalid result at /);
    // The path must be followed by ':' so that e.g. `.samplesNs` does not match `.samplesNs[1]`.
    expect(error.startsWith(`invalid result at ${path}: `), error).toBe(true);
  });

  test.each([
    { name: 'null', data: null },
    { name: 'a number', data: 42 },
    { name: 'an array', data: [] },
    { name: 'a string', data: 'result' },
  ])('$name at the top level is rejected at $', ({ data }) => {
    expect(errorOf(parseResult(data))).toMatch(/^invalid result at \$: /);
  });

  test('only the first issue is reported', () => {
    const r = validResult() as Loose;
    r.schemaVersion = 99;
    r.status = 'done';
    const error = errorOf(parseResult(r));
    expect(error).toContain('$.schemaVersion');
    expect(error).not.toContain('$.status');
  });
});

describe('parseResultText', () => {
  test.each([
    { name: 'empty text', text: '' },
    { name: 'truncated JSON', text: JSON.stringify(validResult()).slice(0, 200) },
    { name: 'plain text', text: 'tokenbench result: 42 GB/s' },
    { name: 'CSV', text: 'id,median\nread,1000\n' },
  ])('$name is rejected as not JSON', ({ text }) => {
    expect(errorOf(parseResultText(text))).toMatch(/^not JSON: /);
  });

  test('valid JSON that is not a result is rejected by the schema', () => {
    expect(errorOf(parseResultText('{"hello": "world"}'))).toMatch(/^invalid result at \$\./);
  });

  test('text over MAX_IMPORT_BYTES is rejected before parsing', () => {
    const text = ' '.repeat(MAX_IMPORT_BYTES + 1);
    const error = errorOf(parseResultText(text));
    expect(error).toMatch(/too large/);
    expect(error).toContain(String(MAX_IMPORT_BYTES + 1));
    expect(error).toContain(String(MAX_IMPORT_BYTES));
  });

  test('text of exactly MAX_IMPORT_BYTES is not rejected for its size', () => {
    // A valid result padded with trailing whitespace up to the limit.
    const json = JSON.stringify(validResult());
    const text = json + ' '.repeat(MAX_IMPORT_BYTES - json.length);
    expect(text.length).toBe(MAX_IMPORT_BYTES);
    expect(parseResultText(text).ok).toBe(true);
  });
});

describe('generated JSON Schema', () => {
  test('schema/result.schema.json is up to date', () => {
    const committed = readFileSync(new URL('../../schema/result.schema.json', import.meta.url), 'utf8');
    const generated = JSON.stringify(resultJsonSchema(), null, 2) + '\n';
    expect(committed, 'schema/result.schema.json is stale: run npm run schema').toBe(generated);
  });

  test('is a draft 2020-12 document with a title', () => {
    const doc = resultJsonSchema() as Record<string, unknown>;
    expect(doc.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.title).toBe('tokenbench result');
    expect(doc.type).toBe('object');
  });
});
