/**
 * What a peer engine runs for a workload: the token tests tokenbench ran, in llama-bench's definitions (ppN:
 * N prompt tokens processed at once on an empty context; tgN@dD: N tokens generated one at a time after D
 * tokens in the context), at batch 1 (llama.cpp's batched decode is not one sequence's decode: batch > 1
 * tests have no peer figure), with the run's repetitions; and the settings both sides should share.
 */
import { rateOf } from '../../measure/stats';
import type { GenerationConfig, KvType, PeerTest, TokenTest } from '../../schema/result';

export interface PeerTestPlan {
  /** tokenbench's test name (pp16, tg8@d32): the ratio pairs them by it. */
  name: string;
  kind: TokenTest['kind'];
  promptLen: number;
  depth: number;
  /** Prompt tokens (prefill) or generated tokens (decode) per repetition. */
  tokens: number;
}

/** A peer's part of the run: the tests, repetitions, KV-cache type and the prompt of the greedy comparison. */
export interface PeerPlan {
  tests: PeerTestPlan[];
  /** Repetitions of each test (one warm-up on top, not recorded). */
  reps: number;
  /** The KV cache type tokenbench ran with; the peer is given the same. */
  kvType: KvType;
  /** Greedy tokens to generate from the prompt (tokenbench's genTokens). */
  genTokens: number;
}

/** The batch-1 tests of a generation config, named exactly as tokenbench names them (src/run/phases/generation/tests.ts). */
export function peerTestPlan(gen: Pick<GenerationConfig, 'promptLens' | 'depths' | 'genTokens'>): PeerTestPlan[] {
  const pp = gen.promptLens.map((P): PeerTestPlan => ({ name: `pp${P}`, kind: 'prefill', promptLen: P, depth: 0, tokens: P }));
  const tg = gen.depths.map((d): PeerTestPlan => ({ name: `tg${gen.genTokens}${d ? `@d${d}` : ''}`, kind: 'decode', promptLen: 0, depth: d, tokens: gen.genTokens }));
  return [...pp, ...tg];
}

/**
 * A peer's plan for one workload of a finished run: the batch-1 tests of the plan that the workload ran
 * (a test that failed on tokenbench's side has nothing to stand beside), the run's repetitions, its KV type.
 */
export function workloadPeerPlan(
  gen: Pick<GenerationConfig, 'promptLens' | 'depths' | 'genTokens' | 'reps'>,
  kvType: PeerPlan['kvType'],
  ran: readonly Pick<TokenTest, 'name' | 'batch'>[],
): PeerPlan {
  const tests = peerTestPlan(gen).filter((t) => ran.some((x) => x.name === t.name && x.batch === 1));
  return { tests, reps: gen.reps, kvType, genTokens: gen.genTokens };
}

/** The context a peer needs for the plan: the deepest test plus its tokens, and the prompt's greedy run. */
export function peerContextSize(plan: PeerPlan, promptLen: number): number {
  const need = Math.max(...plan.tests.map((t) => t.depth + t.promptLen + t.tokens), promptLen + plan.genTokens) + 8;
  return Math.max(256, 2 ** Math.ceil(Math.log2(need)));
}

/** A peer test record from its per-repetition times (ns): tokens per second from each, median and spread. */
export function peerTest(t: PeerTestPlan, tokens: number, samplesNs: readonly number[], timer: string): PeerTest {
  return { name: t.name, kind: t.kind, promptLen: t.promptLen, depth: t.depth, tokens, rate: rateOf(tokens, samplesNs), timer };
}
