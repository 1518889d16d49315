/** GPU error plumbing: error scopes, timeouts and the cooperative-cancel signal. */

export class GpuScopeError extends Error {
  override name = 'GpuScopeError';
  constructor(
    readonly scope: GPUErrorFilter,
    readonly what: string,
    message: string,
  ) {
    super(`${scope} error in ${what}: ${message}`);
  }
}

export class GpuTimeoutError extends Error {
  override name = 'GpuTimeoutError';
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled by the user');
  }
}

/** Minimal cancellation flag that crosses comlink and works in Node without AbortController quirks. */
export interface CancelSignal {
  readonly cancelled: boolean;
}

export function throwIfCancelled(signal: CancelSignal | undefined): void {
  if (signal?.cancelled) throw new CancelledError();
}

/** Resolves like `promise`, or rejects with GpuTimeoutError after `ms` (0 disables the timeout). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new GpuTimeoutError(`${what} did not complete within ${ms} ms (GPU hang or watchdog?)`)),
      ms,
    );
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

const FILTERS: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes; the first GPU error becomes a
 * thrown GpuScopeError naming `what`. A JS exception from `fn` wins over a GPU error.
 */
export async function withErrorScopes<T>(device: GPUDevice, what: string, fn: () => Promise<T> | T): Promise<T> {
  for (const f of FILTERS) device.pushErrorScope(f);
  let value: T | undefined;
  let thrown: unknown;
  let failed = false;
  try {
    value = await fn();
  } catch (e) {
    failed = true;
    thrown = e;
  }
  // Scopes pop in reverse order of the pushes.
  const popped: Array<[GPUErrorFilter, GPUError | null]> = [];
  for (const f of [...FILTERS].reverse()) popped.push([f, await device.popErrorScope()]);
  if (failed) throw thrown;
  const first = popped.reverse().find(([, e]) => e !== null);
  if (first && first[1]) throw new GpuScopeError(first[0], what, first[1].message);
  return value as T;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
