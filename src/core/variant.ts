/**
 * Kernel variants: one type for every family (linear, matmul, attention, ...). A variant is built for a
 * shape, so whether it can run is a question about the device alone: problem(device) answers it with a
 * message a user can act on, or undefined when it can run. Limits and features are read from the
 * device, never assumed (no vendor, no subgroup size).
 */
export interface Variant<P> {
  /** Stable name used in results and tuning caches, e.g. "wg64.r2.v1.tree". */
  readonly id: string;
  /** What the family's factory compiles. */
  readonly params: P;
  /** Why this variant cannot run on `device` (undefined: it can). */
  problem(device: GPUDevice): string | undefined;
}

/** The variants of `all` that can run on `device`, in order (the family's default first). */
export function feasible<P>(all: readonly Variant<P>[], device: GPUDevice): Variant<P>[] {
  return all.filter((v) => v.problem(device) === undefined);
}

/** Throws the variant's problem on `device`, naming `label` (a factory asked to build what cannot run). */
export function assertFeasible<P>(label: string, v: Variant<P>, device: GPUDevice): void {
  const why = v.problem(device);
  if (why !== undefined) throw new Error(`${label}: variant ${v.id} cannot run on this device: ${why}`);
}
