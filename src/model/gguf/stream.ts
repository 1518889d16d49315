/**
 * Streams a GGUF file's tensor data in row-aligned chunks, in file order, hashing every byte of the file
 * (SHA-256) on the way: the caller uploads or dequantises each chunk and drops it, so memory stays at one
 * chunk whatever the model's size. Call readGgufHeader first; run a memory preflight on its tensor table.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ByteSource } from './source';
import type { GgufHeader, GgufTensorInfo } from './types';

/** Largest chunk handed over at once, by default: big enough for few reads, small enough for any tab. */
export const DEFAULT_CHUNK_BYTES = 16 << 20;

export interface TensorChunk {
  tensor: GgufTensorInfo;
  /** Rows [rowStart, rowStart + rows) of the tensor (rows as in GgufTensorInfo: every dim but the first). */
  rowStart: number;
  rows: number;
  /** Their bytes: a fresh array the callback may keep. */
  bytes: Uint8Array;
}

export interface StreamOptions {
  /** Upper bound on a chunk's bytes (one row is always delivered whole, however long). */
  maxChunkBytes?: number;
  /**
   * Hash the whole file (default true). Without hashing, bytes outside the tensors asked for are not read.
   */
  hash?: boolean;
  /** Tensors to deliver (default: all). Skipped tensors are still read when hashing. */
  include?: (t: GgufTensorInfo) => boolean;
  signal?: AbortSignal;
}

export interface StreamResult {
  /** Lower-case hex SHA-256 of the whole file; null when hashing was off. */
  sha256: string | null;
  /** Bytes read from the source. */
  bytesRead: number;
}

/**
 * Reads the file from start to end (hashing) or just the included tensors (not hashing), calling `onChunk`
 * for each chunk of each included tensor in file order and awaiting it before reading on.
 */
export async function streamGgufTensors(
  source: ByteSource,
  header: GgufHeader,
  onChunk: (chunk: TensorChunk) => void | Promise<void>,
  options: StreamOptions = {},
): Promise<StreamResult> {
  const maxChunk = options.maxChunkBytes ?? DEFAULT_CHUNK_BYTES;
  const hash = options.hash ?? true;
  const include = options.include ?? (() => true);
  const hasher = hash ? sha256.create() : null;
  let bytesRead = 0;
  let pos = 0;

  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    options.signal?.throwIfAborted();
    const bytes = await source.read(offset, length);
    if (bytes.length !== length) throw new Error(`GGUF source returned ${bytes.length} of ${length} bytes at offset ${offset} (file changed or truncated?)`);
    bytesRead += length;
    hasher?.update(bytes);
    return bytes;
  };
  /** Reads (only to hash) everything from `pos` to `end`. */
  const skipTo = async (end: number): Promise<void> => {
    if (hasher) for (; pos < end; pos += Math.min(maxChunk, end - pos)) await read(pos, Math.min(maxChunk, end - pos));
    pos = end;
  };

  const tensors = header.tensors.filter((t) => t.bytes > 0).sort((a, b) => a.offset - b.offset);
  for (const t of tensors) {
    if (!include(t)) continue;
    await skipTo(t.offset);
    const rowBytes = t.bytes / t.rows;
    const step = Math.max(1, Math.floor(maxChunk / rowBytes));
    for (let r = 0; r < t.rows; r += step) {
      const rows = Math.min(step, t.rows - r);
      const bytes = await read(pos, rows * rowBytes);
      pos += rows * rowBytes;
      await onChunk({ tensor: t, rowStart: r, rows, bytes: bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength ? bytes : bytes.slice() });
    }
  }
  await skipTo(source.size);
  return { sha256: hasher ? bytesToHex(hasher.digest()) : null, bytesRead };
}

/** The SHA-256 of a whole source, read in chunks (for files without a header to parse, or to verify). */
export async function sha256OfSource(source: ByteSource, maxChunkBytes = DEFAULT_CHUNK_BYTES): Promise<string> {
  const h = sha256.create();
  for (let pos = 0; pos < source.size; pos += maxChunkBytes) h.update(await source.read(pos, Math.min(maxChunkBytes, source.size - pos)));
  return bytesToHex(h.digest());
}
