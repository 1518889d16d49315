/**
 * Bandwidth figures must measure memory, not a cache. A unit of work that reads the same buffer again
 * and again is served from the last-level cache once the buffer fits in it (≈ 50 MB on an H100/H200,
 * 256 MB of Infinity Cache on an MI300X, tens of MB on laptops). So every bandwidth figure rotates
 * through distinct copies of its operands (rotate() in ./work.ts) until it streams at least
 * STREAM_BYTES before any byte is read again; where a suite cannot afford that (the smoke suite on a
 * software adapter), the figure says it is not cache-safe.
 */

/** The largest last-level cache of a GPU this project knows of: AMD MI300X's 256 MiB Infinity Cache. */
export const LARGEST_LLC_BYTES = 256 * 2 ** 20;

/** Distinct bytes a bandwidth figure streams: four times the largest last-level cache (1 GiB). */
export const STREAM_BYTES = 4 * LARGEST_LLC_BYTES;

/** How far a set of copies streams, and whether that is more than any cache can hold. */
export interface Residency {
  copies: number;
  /** Distinct bytes read before the first copy is read again. */
  distinctBytes: number;
  /** distinctBytes >= STREAM_BYTES: no cache can serve the figure. */
  cacheSafe: boolean;
}

/**
 * Copies of `bytesPerCopy` needed to stream `target` distinct bytes, within `maxCopies` (memory and
 * set-up time: the smoke suite keeps it small) and at least one.
 */
export function copiesFor(bytesPerCopy: number, target: number, maxCopies: number): number {
  if (!(bytesPerCopy > 0)) return 1;
  return Math.max(1, Math.min(maxCopies, Math.ceil(target / bytesPerCopy)));
}

export function residency(copies: number, bytesPerCopy: number): Residency {
  const distinctBytes = copies * bytesPerCopy;
  return { copies, distinctBytes, cacheSafe: distinctBytes >= STREAM_BYTES };
}

/** Words for a figure that is not cache-safe (undefined when it is). */
export function residencyNote(r: Residency): string | undefined {
  if (r.cacheSafe) return undefined;
  const mib = (b: number) => `${+(b / 2 ** 20).toFixed(2)} MiB`;
  return `streams ${mib(r.distinctBytes)} (${r.copies} cop${r.copies === 1 ? 'y' : 'ies'}), less than ${mib(STREAM_BYTES)} (4x the largest known last-level cache): a cache may serve it`;
}
