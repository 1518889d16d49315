/** Token ids of synthetic prompts and decode starts. */
import { mix32 } from '../../../core/numeric';

/** Deterministic pseudo-random token ids. */
export function promptTokens(n: number, vocab: number, seed: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.from({ length: n }, (_, i) => mix32(seed * 7919 + i) % vocab);
}
