/**
 * Timestamp queries: `count` begin/end pairs, written at compute-pass boundaries, resolved and read back
 * in one go. The one timestamp engine: the kernel timer (timer.ts) and the token tests (prefill, decode
 * steps, per-kernel profiles) all take their GPU times from it.
 */
import { type Resources, readBuffer } from '../gpu/buffers';

/** Where a pass writes one end of a span. */
export interface StampIndex {
  querySet: GPUQuerySet;
  /** Begin at `index`, end at `index + 1`. */
  index: number;
}

export class Timestamps {
  readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;

  /** `res`: who frees the query set and buffer (absent: call destroy()). */
  constructor(
    private readonly device: GPUDevice,
    readonly count: number,
    label: string,
    res?: Resources,
  ) {
    this.querySet = device.createQuerySet({ label: `${label}.queries`, type: 'timestamp', count: 2 * count });
    this.resolveBuffer = device.createBuffer({ label: `${label}.resolve`, size: 16 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    if (res) {
      res.track(this.querySet);
      res.track(this.resolveBuffer);
    }
  }

  /** The begin/end slots of span `i`. */
  at(i: number): StampIndex {
    if (!(i >= 0 && i < this.count)) throw new Error(`timestamp span ${i} outside 0..${this.count - 1}`);
    return { querySet: this.querySet, index: 2 * i };
  }

  /** timestampWrites of a pass that is span `i` on its own. */
  pass(i: number): GPUComputePassTimestampWrites {
    const s = this.at(i);
    return { querySet: s.querySet, beginningOfPassWriteIndex: s.index, endOfPassWriteIndex: s.index + 1 };
  }

  /** Resolves the first `n` spans into the read-back buffer (encode after the passes that write them). */
  resolve(enc: GPUCommandEncoder, n = this.count): void {
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuffer, 0);
  }

  /** Raw begin/end values of the first `n` spans (after a submitted resolve). */
  async raw(n: number, timeoutMs: number): Promise<bigint[]> {
    return Array.from(new BigUint64Array(await readBuffer(this.device, this.resolveBuffer, timeoutMs, 0, 16 * n)));
  }

  /** Durations of the first `n` spans in ns; a span whose end precedes its begin is an error, never a figure. */
  async spansNs(n: number, timeoutMs: number, what: string): Promise<number[]> {
    const raw = await this.raw(n, timeoutMs);
    return Array.from({ length: n }, (_, i) => {
      const begin = raw[2 * i] as bigint;
      const end = raw[2 * i + 1] as bigint;
      if (end < begin) throw new Error(`GPU timestamps went backwards (${begin} → ${end}) in ${what}`);
      return Number(end - begin);
    });
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
