import { describe, expect, test } from 'vitest';
import { LARGEST_LLC_BYTES, STREAM_BYTES, copiesFor, residency, residencyNote } from '../../src/core/stream';
import { rotate } from '../../src/core/work';

describe('bandwidth figures stream past every cache', () => {
  test('the target is four times the largest known last-level cache (256 MiB): 1 GiB', () => {
    expect(LARGEST_LLC_BYTES).toBe(256 * 2 ** 20);
    expect(STREAM_BYTES).toBe(2 ** 30);
  });

  test.each([
    // An 8B f16 O projection (33.5 MB) fits an H200's last-level cache; 33 copies do not.
    [33.5e6, STREAM_BYTES, 512, 33],
    // A 1B q4_0 layer matrix (3.5 MB): hundreds of copies, within the cap.
    [3.5e6, STREAM_BYTES, 512, 307],
    // Capped: the smoke suite keeps its copies few.
    [10_000, 16 * 2 ** 20, 4, 4],
    [2 ** 31, STREAM_BYTES, 512, 1],
  ])('%d bytes per copy, target %d, at most %d copies: %d', (bytes, target, max, want) => {
    expect(copiesFor(bytes, target, max)).toBe(want);
  });

  test('a figure is cache-safe only at 1 GiB streamed; otherwise it says so in words', () => {
    expect(residency(33, 33.5e6)).toEqual({ copies: 33, distinctBytes: 33 * 33.5e6, cacheSafe: true });
    expect(residencyNote(residency(33, 33.5e6))).toBeUndefined();
    expect(residencyNote(residency(4, 2 ** 20))).toMatch(/streams 4 MiB \(4 copies\), less than 1024 MiB \(4x the largest known last-level cache\): a cache may serve it/);
  });

  test('rotate() encodes the copies in turn, one per unit', () => {
    const seen: string[] = [];
    const work = (id: string) => ({ label: id, encode: () => void seen.push(id) });
    const r = rotate('r', [work('a'), work('b'), work('c')]);
    const pass = {} as GPUComputePassEncoder;
    for (let i = 0; i < 7; i++) r.encode(pass);
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(() => rotate('empty', [])).toThrow(/nothing to rotate/);
  });
});
