/**
 * tokenbench beside its peers (llama.cpp in the page, native llama.cpp): attaching a peer's record to its
 * workload, the ratios of every token test both ran, the kernel-limited flag, the agreement of their greedy
 * tokens, and how reports name each ratio. Pure: the peers themselves run in src/runtime/peers (page) and
 * bench/peers (Node).
 */
import { testRate } from '../cost/model';
import type { BenchResult, KvType, Peer, PeerEngine, PeerRatio, Workload } from '../schema/result';

/**
 * Below this share of llama.cpp's WebGPU speed on the same adapter, a tokenbench figure measures tokenbench's
 * kernels rather than the hardware (WebLLM's own claim for browser inference is "up to 80 % of native").
 */
export const KERNEL_LIMITED_RATIO = 0.8;

/** What a kernel-limited test says, in reports and the page. */
export const KERNEL_LIMITED_NOTE = "kernel-limited: this figure measures tokenbench's kernels, not the hardware";

/** How a report names a peer's ratio column. */
export const PEER_LABEL: Record<PeerEngine, string> = { webgpu: 'llama.cpp WebGPU', native: 'llama.cpp native' };

/** The KV-cache type of tokenbench's run (f32 in results from before the setting). */
export function runKvType(r: BenchResult): KvType {
  return r.config.generation.kvType ?? 'f32';
}

/** Sentences for the settings in which a peer differs from tokenbench's side of the comparison. */
export function peerDifferences(r: BenchResult, p: Peer): string[] {
  const out: string[] = [];
  const kv = runKvType(r);
  if (p.backend === 'cpu') {
    out.push(`llama.cpp ran on the CPU${p.backendNote ? ` (${p.backendNote})` : ''}, tokenbench on the GPU: a comparison of engines, not of kernels on one adapter`);
  }
  if (p.settings && p.settings.kvType !== kv) out.push(`KV cache: tokenbench ${kv}, llama.cpp ${p.settings.kvType}`);
  if (r.timer?.source === 'gpu-timestamp') out.push("timers: tokenbench's GPU timestamps, llama.cpp's own wall-clock timings");
  return out;
}

/**
 * The ratios of a peer: for each of the workload's tests the peer also ran, tokenbench's reported tok/s
 * (GPU timestamps when the test has them) over the peer's median. A WebGPU peer that ran on WebGPU (the same
 * adapter) flags every test below KERNEL_LIMITED_RATIO.
 */
export function peerRatios(r: BenchResult, w: Workload, p: Peer): PeerRatio[] {
  if (p.state !== 'ok') return [];
  const differences = peerDifferences(r, p);
  const sameAdapter = p.engine === 'webgpu' && p.backend === 'webgpu';
  return p.tests.flatMap((pt) => {
    const t = w.tests.find((x) => x.name === pt.name && x.batch === 1);
    if (!t || pt.rate.median <= 0) return [];
    const ours = testRate(t).tokPerSec;
    const ratio = ours / pt.rate.median;
    return [{ test: t.name, tokenbench: ours, peer: pt.rate.median, ratio, kernelLimited: sameAdapter && ratio < KERNEL_LIMITED_RATIO, differences }];
  });
}

/** Greedy agreement by token ids: leading tokens that agree, over the shorter sequence. */
export function agreementByIds(ours: readonly number[], theirs: readonly number[]): NonNullable<Peer['agreement']> {
  const n = Math.min(ours.length, theirs.length);
  let i = 0;
  while (i < n && ours[i] === theirs[i]) i++;
  return { compared: n, matching: i, firstDifference: i < n ? i : null, method: 'token-ids', peerTokens: [...theirs] };
}

/**
 * Greedy agreement from the peer's text, for a peer that returns text only: tokenbench's tokens agree while
 * the text of its first k tokens is a prefix of the peer's text. `pieces`: the text of each of tokenbench's
 * generated tokens. Compared: tokenbench's token count (the peer generated as many).
 */
export function agreementByText(pieces: readonly string[], theirs: string): NonNullable<Peer['agreement']> {
  let at = 0;
  let i = 0;
  while (i < pieces.length && theirs.startsWith(pieces[i] as string, at)) at += (pieces[i] as string).length, i++;
  return { compared: pieces.length, matching: i, firstDifference: i < pieces.length ? i : null, method: 'text', peerText: theirs };
}

/** The result with `peer` attached to the workload `workloadId` (replacing an earlier record of the same engine), its ratios derived. */
export function withPeer(r: BenchResult, workloadId: string, peer: Peer): BenchResult {
  const phases = r.phases.map((ph) => {
    if (!ph.workloads?.some((w) => w.id === workloadId)) return ph;
    const workloads = ph.workloads.map((w) => {
      if (w.id !== workloadId) return w;
      const ratios = peerRatios(r, w, peer);
      const rec: Peer = { ...peer, ...(peer.state === 'ok' ? { ratios } : {}) };
      return { ...w, peers: [...(w.peers ?? []).filter((p) => p.engine !== peer.engine), rec] };
    });
    return { ...ph, workloads };
  });
  return { ...r, phases };
}

/** Every workload of a result with its phase order, for peers to walk. */
export function resultWorkloads(r: BenchResult): Workload[] {
  return r.phases.flatMap((p) => p.workloads ?? []);
}

/** The ratio of one test against one engine, or null. */
export function ratioOf(w: Workload, test: string, engine: PeerEngine): PeerRatio | null {
  return w.peers?.find((p) => p.engine === engine)?.ratios?.find((x) => x.test === test) ?? null;
}

/** "83 % of llama.cpp WebGPU": a ratio as reports print it. */
export function formatRatio(x: PeerRatio, engine: PeerEngine): string {
  return `${formatPercent(x.ratio)} of ${PEER_LABEL[engine]}`;
}

/** A ratio as a percentage: whole numbers from 10 %, two significant digits below (software adapters give 0.09 %). */
export function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  return `${pct >= 10 ? Math.round(pct) : Number(pct.toPrecision(2))} %`;
}

/** A skipped peer record: the engine could not run here, for the reason given; tokenbench's figures stand. */
export function skippedPeer(engine: PeerEngine, name: string, reason: string): Peer {
  return { engine, state: 'skipped', reason, name, tests: [] };
}
