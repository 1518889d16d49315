/**
 * The page's side of a run with peers (src/run/peers): writing the peer model files the request names
 * (tokenbench's GGUF writer, in the worker) and, once tokenbench's run returned, running the WebGPU peer on
 * every workload whose file the page holds and attaching its record. Native llama.cpp is the command
 * line's (bench/): the page leaves `native` to it.
 */
import { ggufChunks } from '../../model/gguf/write';
import { type PeerModelFile, peerModelGguf } from '../../run/peers/models';
import { workloadPeerPlan } from '../../run/peers/plan';
import { PEER_LABEL, resultWorkloads, runKvType, skippedPeer, withPeer } from '../../result/peers';
import type { BenchResult, Workload } from '../../schema/result';
import { type PeerPrompt, WLLAMA_NAME, type WllamaLib, runWllamaPeer } from './wllama';

/**
 * A peer model file's bytes as a File, written chunk by chunk (header, then each tensor); `onBytes` hears the
 * bytes written so far after each chunk.
 */
export function writePeerFile(f: PeerModelFile, onBytes?: (written: number) => void): File {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let written = 0;
  for (const chunk of ggufChunks(peerModelGguf(f))) {
    parts.push(chunk as Uint8Array<ArrayBuffer>);
    written += chunk.length;
    onBytes?.(written);
  }
  return new File(parts, f.name, { type: 'application/octet-stream' });
}

/** The workload's greedy run as the peer compares it: text prompts only (llama.cpp in the page takes text). */
function promptOf(w: Workload): PeerPrompt | null {
  const t = w.text;
  if (!t || t.prompt === null || !t.generatedTokens.length) return null;
  return { text: t.prompt, promptTokens: t.promptTokens, generatedTokens: t.generatedTokens };
}

export interface PagePeerOptions {
  /** "llama.cpp WebGPU · tiny-f32 · pp16": what the peer is doing. */
  onStep?: (step: string) => void;
  signal?: { cancelled: boolean };
  lib?: () => Promise<WllamaLib>;
  unsupported?: () => string | null;
}

/**
 * The result with a `webgpu` peer on every ok workload whose model file is among `files`, when the run asked
 * for it (config.peers) and completed. tokenbench's own figures are left as they are.
 */
export async function runPagePeers(result: BenchResult, files: readonly File[], options: PagePeerOptions = {}): Promise<BenchResult> {
  if (!result.config.peers?.engines.includes('webgpu') || result.status !== 'completed') return result;
  let out = result;
  for (const w of resultWorkloads(result)) {
    if (options.signal?.cancelled) break;
    const source = w.source?.kind === 'gguf' ? w.source : null;
    const file = source ? files.find((f) => f.name === source.file) : undefined;
    // Nothing is left out without a word: a workload that did not run, or whose file the page lacks, says why.
    const why = w.state !== 'ok' ? `tokenbench's own workload did not run (${w.state}): nothing to compare` : !file ? 'the page does not hold this workload\'s model file' : null;
    if (why || !file) {
      out = withPeer(out, w.id, skippedPeer('webgpu', WLLAMA_NAME, why ?? 'no model file'));
      continue;
    }
    const peer = await runWllamaPeer({
      file,
      plan: workloadPeerPlan(result.config.generation, runKvType(result), w.tests),
      prompt: promptOf(w),
      environment: result.environment ?? null,
      onStep: (s) => options.onStep?.(`${PEER_LABEL.webgpu} · ${w.id} · ${s}`),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.lib ? { lib: options.lib } : {}),
      ...(options.unsupported ? { unsupported: options.unsupported } : {}),
    });
    out = withPeer(out, w.id, peer);
  }
  return out;
}
