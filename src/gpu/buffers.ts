/** Buffer helpers with explicit lifetimes: whatever a phase creates it destroys in `finally`. */
import { withTimeout } from './errors';

/** Tracks GPU objects so a phase can destroy them all in one `finally`. */
export class Resources {
  private readonly items: Array<{ destroy(): void }> = [];

  track<T extends { destroy(): void }>(item: T): T {
    this.items.push(item);
    return item;
  }

  destroyAll(): void {
    for (const item of this.items.splice(0).reverse()) {
      try {
        item.destroy();
      } catch {
        // Destroying after device loss may throw; nothing left to free.
      }
    }
  }
}

/** Storage usage, read lazily: importing this module must not need WebGPU globals (pure code imports it too). */
function storageUsage(): GPUBufferUsageFlags {
  return GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
}

export function createBuffer(
  device: GPUDevice,
  res: Resources,
  label: string,
  size: number,
  usage: GPUBufferUsageFlags = storageUsage(),
): GPUBuffer {
  return res.track(device.createBuffer({ label, size: Math.max(16, alignTo(size, 4)), usage }));
}

/** A uniform buffer holding `words` (u32/f32 written through their bit patterns), padded to 16 bytes. */
export function createUniform(device: GPUDevice, res: Resources, label: string, words: ArrayBuffer): GPUBuffer {
  const buf = createBuffer(device, res, label, alignTo(words.byteLength, 16), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  device.queue.writeBuffer(buf, 0, words);
  return buf;
}

export function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Reads `size` bytes of `src` from `offset`: copy → mapAsync → slice → unmap → destroy staging. */
export async function readBuffer(
  device: GPUDevice,
  src: GPUBuffer,
  timeoutMs: number,
  offset = 0,
  size = src.size - offset,
): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    label: `${src.label}.readback`,
    size: alignTo(size, 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const enc = device.createCommandEncoder({ label: `${src.label}.readback` });
    enc.copyBufferToBuffer(src, offset, staging, 0, alignTo(size, 4));
    device.queue.submit([enc.finish()]);
    await withTimeout(staging.mapAsync(GPUMapMode.READ), timeoutMs, `reading back ${src.label}`);
    const copy = staging.getMappedRange().slice(0, size);
    staging.unmap();
    return copy;
  } finally {
    staging.destroy();
  }
}

/** Reads a buffer in chunks, handing each to `visit` (bounded host memory for large outputs). */
export async function readBufferChunks(
  device: GPUDevice,
  src: GPUBuffer,
  bytes: number,
  chunkBytes: number,
  timeoutMs: number,
  visit: (chunk: ArrayBuffer, byteOffset: number) => void,
): Promise<void> {
  for (let off = 0; off < bytes; off += chunkBytes) {
    const size = Math.min(chunkBytes, bytes - off);
    visit(await readBuffer(device, src, timeoutMs, off, size), off);
  }
}

/** Waits for the queue to drain, with a timeout. */
export function queueDone(device: GPUDevice, timeoutMs: number, what: string): Promise<void> {
  return withTimeout(device.queue.onSubmittedWorkDone(), timeoutMs, what);
}
