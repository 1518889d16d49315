/**
 * The figures a token test derives from its own samples and bounds, besides the rates themselves
 * (rateOf in stats.ts): per-sequence rate, time to first token / per output token, efficiency against the
 * tighter bound, traffic ratio. The run computes them here (src/run/phases/generation/tests.ts) and the
 * integrity check recomputes them here (src/result/integrity.ts): one formula each, so the two cannot
 * disagree. Pure.
 */
import { summarize } from './stats';

/** Tokens a repetition of a test counts in its aggregate rate: tokens per sequence × sequences. */
export function aggregateTokens(tokensPerSequence: number, batch: number): number {
  return batch * tokensPerSequence;
}

/** Tokens per second per sequence from the aggregate rate of `batch` sequences. */
export function perSequenceRate(aggregate: number, batch: number): number {
  return aggregate / batch;
}

/** Milliseconds per token at the median repetition time: TTFT (one token), TPOT (N tokens per sequence). */
export function medianMsPerToken(samplesNs: readonly number[], tokens = 1): number {
  return summarize(samplesNs).median / tokens / 1e6;
}

/** Measured tok/s over the tighter of the positive bounds (tok/s); null when there is none. */
export function efficiencyOf(measured: number, bandwidth: number | null, compute: number | null): number | null {
  const tight = [bandwidth, compute].filter((b): b is number => b !== null && b > 0);
  const lim = tight.length ? Math.min(...tight) : null;
  return lim ? measured / lim : null;
}

/** Bytes the kernels read per token over the bytes the step needs. */
export function trafficRatio(readPerToken: number, neededPerToken: number): number {
  return readPerToken / neededPerToken;
}
