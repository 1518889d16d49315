import { describe, expect, test } from 'vitest';
import { observeClock } from '../../src/measure/resolution';
import { sampleIndices } from '../../src/core/numeric';
import { MAX_IMPORT_BYTES, parseResultText, utf8Length } from '../../src/schema/result';

describe('edge cases found in review', () => {
  test.each([
    [10, 0, []],
    [10, 1, [0]],
    [1, 0, []],
    [10, 2, [0, 9]],
  ])('sampleIndices(%i, %i) returns exactly the requested count', (n, count, expected) => {
    expect(sampleIndices(n, count, 7)).toEqual(expected);
  });

  test('observeClock returns on a clock that never advances', () => {
    const r = observeClock(() => 1000, 64, 20, 10_000);
    expect(r.quantumNs).toBe(0);
  });

  test.each([
    ['ascii', 'abc', 3],
    ['two-byte', 'é', 2],
    ['three-byte', '€', 3],
    ['surrogate pair', '😀', 4],
  ])('utf8Length counts %s characters', (_, text, bytes) => {
    expect(utf8Length(text)).toBe(bytes);
    expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
  });

  test('the import size limit counts UTF-8 bytes, not characters', () => {
    const chars = Math.floor(MAX_IMPORT_BYTES / 3) + 10; // fewer characters than the limit, more bytes
    const out = parseResultText(`"${'€'.repeat(chars)}"`);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(/too large/);
  });
});
