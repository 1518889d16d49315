/**
 * Where GGUF bytes come from: a random-access source read in ranges, so a multi-gigabyte file is never held
 * in memory whole. In the browser a File/Blob (slice), in Node a file handle (source-node.ts, which only
 * Node code imports), in tests a Uint8Array.
 */

export interface ByteSource {
  /** Total bytes. */
  readonly size: number;
  /**
   * Bytes [offset, offset + length), or fewer when the source ends first (none at or past the end).
   * The result may be a view into a buffer the source reuses only if the source says so; these do not.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

function checkRange(size: number, offset: number, length: number): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`bad byte range: offset ${offset}, length ${length}`);
  }
  return Math.max(0, Math.min(length, size - offset));
}

/** A source over bytes already in memory (tests, small files, the writer's output). */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + checkRange(bytes.length, offset, length)),
  };
}

/** A source over a Blob or File: each read is one Blob.slice, so only the bytes asked for are loaded. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    read: async (offset, length) => {
      const n = checkRange(blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + n).arrayBuffer());
    },
  };
}
