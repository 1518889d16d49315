/** Writes a GGUF file to disk chunk by chunk (Node only). */
import { open } from 'node:fs/promises';
import { type GgufFileInput, ggufChunks } from './write';

/** Writes `file` to `path` (replacing it); returns the bytes written. */
export async function writeGgufFile(path: string, file: GgufFileInput): Promise<number> {
  const handle = await open(path, 'w');
  let written = 0;
  try {
    for (const chunk of ggufChunks(file)) {
      let done = 0;
      while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return written;
}
