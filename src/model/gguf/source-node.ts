/** A GGUF ByteSource over a file, through a Node file handle. Node only: the page uses blobSource. */
import { open } from 'node:fs/promises';
import type { ByteSource } from './source';

export interface FileSource extends ByteSource {
  readonly path: string;
  close(): Promise<void>;
}

/** Opens `path` for ranged reads; close it when done (a `finally`). */
export async function openFileSource(path: string): Promise<FileSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return {
      path,
      size,
      async read(offset, length) {
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
          throw new RangeError(`bad byte range: offset ${offset}, length ${length}`);
        }
        const n = Math.max(0, Math.min(length, size - offset));
        const buf = new Uint8Array(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await handle.read(buf, done, n - done, offset + done);
          if (bytesRead === 0) throw new Error(`${path} ended at byte ${offset + done} while ${size} were expected (changed while reading?)`);
          done += bytesRead;
        }
        return buf;
      },
      close: () => handle.close(),
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
