/**
 * Peers from the command line (`--peer webgpu,native`): before the run, every synthetic workload is written
 * to a GGUF file (src/run/peers/models.ts decides the bytes) and handed to the run like a `--gguf` file, so
 * tokenbench, llama.cpp in the page and native llama.cpp all run the same bytes; after the run, native
 * llama.cpp runs on each file here (the `webgpu` peer runs in the page itself), and what cannot run is
 * recorded as skipped with the reason. tokenbench's own figures and the baseline gate never depend on a peer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGgufFile } from '../../src/model/gguf/write-node';
import { resultWorkloads, runKvType, skippedPeer, withPeer } from '../../src/result/peers';
import { peerModelGguf, withPeerModels } from '../../src/run/peers/models';
import { workloadPeerPlan } from '../../src/run/peers/plan';
import type { RunRequest } from '../../src/run/request';
import { WLLAMA_NAME } from '../../src/runtime/peers/names';
import type { BenchResult } from '../../src/schema/result';
import type { ModelFile } from '../model-files';
import { NATIVE_PEER_NAME, runNativePeer } from './native-peer';

/** The request and files of a run with peers, and how to remove the files written for it. */
export interface PeerFiles {
  request: RunRequest;
  modelFiles: ModelFile[];
  cleanup(): void;
}

/**
 * Writes the peer model files of `request` (none without peers) into a temporary folder; the request then
 * names them. A synthetic workload that cannot be written is logged (tokenbench would skip it too: its
 * shapes do not fit the format's blocks).
 */
export async function writePeerFiles(request: RunRequest, modelFiles: readonly ModelFile[], log: (line: string) => void): Promise<PeerFiles> {
  const planned = withPeerModels(request);
  if (!planned.files.length) return { request: planned.request, modelFiles: [...modelFiles], cleanup: () => undefined };
  const clash = planned.files.find((f) => modelFiles.some((m) => m.name === f.name));
  if (clash) throw new Error(`--peer: the model file ${clash.name} given with --gguf has the name of a peer model file: rename it`);
  for (const p of planned.problems) log(`peer model ${p.preset} ${p.format} not written: ${p.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-peers-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const written: ModelFile[] = [];
    for (const f of planned.files) {
      const path = join(dir, f.name);
      log(`writing ${f.name} (${f.preset}, ${f.format}, seed ${f.seed}) for the peers`);
      await writeGgufFile(path, peerModelGguf(f));
      written.push({ name: f.name, path });
    }
    return { request: planned.request, modelFiles: [...modelFiles, ...written], cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** Where the run's page or runtime was: this machine's browser, the Node runner, or a remote browser. */
export type PeerPlace = { kind: 'browser' } | { kind: 'node' } | { kind: 'remote'; endpoint: string };

/**
 * The result with the peers that run from the command line: native llama.cpp on each workload's file (this
 * machine only), and a skipped `webgpu` record where no page ran the run. Progress through `log`.
 */
export async function addCommandLinePeers(r: BenchResult, modelFiles: readonly ModelFile[], place: PeerPlace, log: (line: string) => void): Promise<BenchResult> {
  const peers = r.config.peers;
  if (!peers) return r;
  let out = r;
  for (const w of resultWorkloads(r)) {
    if (peers.engines.includes('webgpu') && place.kind === 'node') {
      out = withPeer(out, w.id, skippedPeer('webgpu', WLLAMA_NAME, "llama.cpp's WebGPU backend runs in a browser page (wllama); the Node runner has none: run without --runtime node"));
    }
    if (!peers.engines.includes('native')) continue;
    const src = w.source?.kind === 'gguf' ? w.source : null;
    const file = src ? modelFiles.find((f) => f.name === src.file) : undefined;
    let why: string | null = null;
    if (w.state !== 'ok') why = `tokenbench's own workload did not run (${w.state}): nothing to compare`;
    else if (!file) why = 'no model file for this workload';
    else if (place.kind === 'remote') why = `the browser ran on ${place.endpoint}, not on this machine: native llama.cpp would measure another machine`;
    if (why || !file) {
      out = withPeer(out, w.id, skippedPeer('native', NATIVE_PEER_NAME, why ?? 'no model file'));
      continue;
    }
    log(`llama.cpp native on ${file.name}`);
    const greedy = w.text ? { promptTokens: w.text.promptTokens, ours: w.text.generatedTokens } : undefined;
    const plan = workloadPeerPlan(r.config.generation, runKvType(r), w.tests);
    const peer = await runNativePeer({ path: file.path, vocab: w.arch.vocab, plan, ...(greedy ? { greedy } : {}) }, peers.native, log);
    if (peer.state !== 'ok') log(`llama.cpp native on ${file.name}: ${peer.state}: ${peer.reason ?? ''}`);
    out = withPeer(out, w.id, peer);
  }
  return out;
}

/** Command-line options with the peer model files written and named (see writePeerFiles); `cleanup` removes the files. */
export async function withPeerFiles<T extends { request: RunRequest; modelFiles: ModelFile[] }>(o: T): Promise<{ o: T; cleanup(): void }> {
  if (!o.request.peers) return { o, cleanup: () => undefined };
  const p = await writePeerFiles(o.request, o.modelFiles, (line) => process.stderr.write(`tokenbench: ${line}\n`));
  return { o: { ...o, request: p.request, modelFiles: p.modelFiles }, cleanup: p.cleanup };
}
