/**
 * The model files a run with peers works on. A peer engine (llama.cpp) can only read model files, so with
 * `--peer` every synthetic workload (preset or custom architecture x weight format) is written to a GGUF
 * file by tokenbench's writer (src/model/synth/gguf.ts: same shapes, same formats, a fixed seed) and both
 * tokenbench and the peers run that file: the same bytes on both sides. Files the user gave stay as they are.
 * Which bytes are written is decided here, once; each front-end only stores them (Node: a temporary file,
 * the page: a File it holds).
 */
import { type ModelSpec, modelSpec } from '../../model/gguf/arch';
import type { GgufFileInput } from '../../model/gguf/write';
import { validateArch } from '../../model/arch';
import { PRESETS } from '../../model/presets';
import { type SyntheticFormat, syntheticGguf, syntheticTensorFormat } from '../../model/synth/gguf';
import { tensorPlan } from '../../model/gguf/arch';
import { syntheticBpeVocab } from '../../model/tokenizer/synthetic';
import type { Arch } from '../../model/types';
import type { GenerationConfig } from '../../schema/result';
import type { RunRequest } from '../request';
import { SUITES } from '../suites';

/** Seed of the weights of every peer model file (a result names it; the same preset and format give the same bytes). */
export const PEER_SEED = 1;

/**
 * The prompt of the greedy comparison when the request gives none: text, so that llama.cpp in the page
 * (which takes text only) tokenises it as tokenbench does.
 */
export const PEER_PROMPT_TEXT = 'The benchmark measures what a token costs on the graphics card in front of you.';

/** A synthetic workload written to a file for the peers. */
export interface PeerModelFile {
  /** File name, `<model>-<format>.gguf`: the run's workload id is the name without `.gguf`, as for the synthetic workload. */
  name: string;
  /** The preset's name, or the custom architecture's. */
  preset: string;
  arch: Arch;
  format: SyntheticFormat;
  seed: number;
}

/** A synthetic workload that cannot be written (its shapes do not fit the format's blocks), and why. */
export interface PeerModelProblem {
  preset: string;
  format: SyntheticFormat;
  reason: string;
}

/** The GGUF architecture a synthetic model is written as: q/k/v biases make it qwen2, otherwise llama. */
export function peerSpec(arch: Arch): ModelSpec {
  return modelSpec(arch.qkvBias ? 'qwen2' : 'llama', arch, { contextLength: 4096 });
}

/**
 * The GGUF contents of a peer model file: the writer's synthetic weights and a byte-level BPE vocabulary of
 * printable ASCII only (any token sequence is then valid text, which llama.cpp in the page requires).
 */
export function peerModelGguf(f: PeerModelFile): GgufFileInput {
  const vocab = syntheticBpeVocab(f.arch.vocab, { pre: 'default', printableOnly: true });
  return syntheticGguf(peerSpec(f.arch), { format: f.format, vocab, seed: f.seed });
}

/** Why a synthetic model cannot be written in a format, or null. */
function writeProblem(arch: Arch, format: SyntheticFormat): string | null {
  const check = validateArch(arch, format);
  if (!check.ok) return check.errors.join('; ');
  try {
    const spec = peerSpec(arch);
    for (const t of tensorPlan(spec)) syntheticTensorFormat(spec, t, format);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * The request with every synthetic model x format replaced by its peer model file (named in the request as
 * `{ gguf: name }`, as a file the user gave), the files to write, and the workloads that cannot be written.
 * Without peers the request is returned as it is. A prompt is added when none is given, so that every
 * workload has a greedy continuation to compare.
 */
export function withPeerModels(request: RunRequest): { request: RunRequest; files: PeerModelFile[]; problems: PeerModelProblem[] } {
  if (!request.peers) return { request, files: [], problems: [] };
  const defaults: GenerationConfig = SUITES[request.suite].config.generation;
  const models = request.generation.models ?? defaults.models;
  const formats = request.generation.formats ?? defaults.formats;
  const files: PeerModelFile[] = [];
  const problems: PeerModelProblem[] = [];
  const out: RunRequest['generation']['models'] = [];
  for (const m of models) {
    if (typeof m === 'object' && 'gguf' in m) {
      out.push(m);
      continue;
    }
    const arch = typeof m === 'string' ? PRESETS[m] : m;
    const preset = typeof m === 'string' ? m : m.name;
    if (!arch) {
      // An unknown preset name: the run reports it; keep it as given.
      out.push(m);
      continue;
    }
    for (const format of formats) {
      const problem = writeProblem(arch, format);
      if (problem) {
        problems.push({ preset, format, reason: problem });
        continue;
      }
      const name = `${arch.name}-${format}.gguf`;
      if (files.some((f) => f.name === name)) continue;
      files.push({ name, preset, arch, format, seed: PEER_SEED });
      out.push({ gguf: name });
    }
  }
  const prompt = request.generation.promptText !== undefined || request.generation.promptTokens ? {} : { promptText: PEER_PROMPT_TEXT };
  return { request: { ...request, generation: { ...request.generation, ...prompt, models: out } }, files, problems };
}
