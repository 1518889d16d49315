/**
 * A GGUF model file as a workload: the header first (an architecture or tensor type tokenbench cannot run
 * is an errored workload naming it), the memory preflight from its tensor table, tuning, then the weights
 * streamed into the GPU model (progress through onStep, SHA-256 on the way), the token tests of a synthetic
 * workload, and, when the config gives a prompt, a greedy generation whose ids and text go into `text`.
 */
import { Resources } from '../../../gpu/buffers';
import { errorMessage, withErrorScopes } from '../../../gpu/errors';
import { countDispatches } from '../../../core/work';
import { decodeBytesPerToken } from '../../../model/accounting';
import { validateArch } from '../../../model/arch';
import { type ModelFormat, formatsUsed } from '../../../model/formats/mix';
import { type GgufModel, archOf, fileParams, fileFormats, fileWeightLayout, ggufModelFile, openGgufModel, tensorTypes } from '../../../model/gguf/model-file';
import type { Arch } from '../../../model/types';
import { bytesToText, detokenize } from '../../../model/tokenizer/detokenize';
import { Tokenizer } from '../../../model/tokenizer/tokenize';
import { type Vocab, vocabFromGguf } from '../../../model/tokenizer/vocab';
import type { GenerationConfig, ModelSource, Verification, Workload, WorkloadText } from '../../../schema/result';
import { type ModelFiles, type NamedSource, loadingLabel } from '../../files';
import { type GenEnv, kvTypeOf } from './env';
import { buildModel, capacities, failed, kernelFigures, plan, tokenTests, tune } from './workload';

/** What the phase's checks decided for a format: why its workloads may not be timed, or the verification. */
export type FormatGate = (format: ModelFormat) => Promise<{ invalid: string | null; verification?: Verification }>;

/** The workload id of a file: its name without ".gguf". */
export function fileWorkloadId(name: string): string {
  return name.replace(/\.gguf$/i, '') || name;
}

/** The last path segment of a reference (what a result may say of a file: never its directory). */
function baseName(ref: string): string {
  return ref.split(/[\\/]/).filter(Boolean).pop() ?? ref;
}

/**
 * Placeholder shape of a workload whose file could not be read as a model (errored before its header gave
 * an architecture): every size 1; the reason says what went wrong.
 */
function unknownArch(name: string): Arch {
  return { name, hidden: 1, ffn: 1, layers: 1, heads: 1, kvHeads: 1, headDim: 1, vocab: 1, tiedEmbeddings: false, qkvBias: false, ropeTheta: 10000, normEps: 1e-5 };
}

/** The prompt of the config as token ids of the file's vocabulary (text tokenised, BOS as the file says), or null. */
export function promptOf(gen: GenerationConfig, vocab: Vocab | null, vocabSize: number): { ids: number[]; text: string | null } | null {
  if (gen.promptText !== undefined) {
    if (!vocab) throw new Error('a text prompt needs the file\'s tokenizer, which could not be read');
    const ids = new Tokenizer(vocab).encode(gen.promptText, { addSpecial: true });
    if (!ids.length) throw new Error('the text prompt tokenised to no tokens');
    return { ids, text: gen.promptText };
  }
  if (!gen.promptTokens) return null;
  const bad = gen.promptTokens.filter((t) => t >= vocabSize);
  if (bad.length) throw new Error(`prompt token id(s) ${bad.slice(0, 8).join(', ')} are outside the vocabulary (0..${vocabSize - 1})`);
  return { ids: [...gen.promptTokens], text: null };
}

/** Tokens as text (bytes that are not UTF-8 as U+FFFD); `start`: the text starts a sequence (SentencePiece drops its space). */
function textOf(vocab: Vocab | null, ids: readonly number[], start: boolean): string {
  return vocab ? bytesToText(detokenize(vocab, ids, { stripLeadingSpace: start && vocab.addSpacePrefix })) : '';
}

/** The vocabulary, or null when tokenbench does not implement the file's tokenizer (ids still run). */
function vocabOrNull(m: GgufModel): Vocab | null {
  try {
    return vocabFromGguf(m.header.metadata);
  } catch {
    return null;
  }
}

/** The workload's `source` block once the file was streamed. */
function sourceOf(name: string, m: GgufModel, sha256: string): ModelSource {
  return { kind: 'gguf', file: name, bytes: m.header.fileSize, sha256, architecture: m.spec.ggufArch, params: fileParams(m.header), tensors: tensorTypes(m.header) };
}

/** Runs a model file. Failures are recorded on the workload; cancellation propagates. */
export async function runGgufWorkload(env: GenEnv, files: ModelFiles, ref: string, gate: FormatGate): Promise<Workload> {
  const name = baseName(ref);
  const id = fileWorkloadId(name);
  const errored = (reason: string): Workload => ({ id, preset: name, arch: unknownArch(name), format: 'f32', state: 'errored', reason, tests: [] });
  let source: NamedSource;
  try {
    source = await files(ref);
  } catch (e) {
    return errored(`model file "${ref}": ${errorMessage(e)}`);
  }
  try {
    const m = await openGgufModel(source).catch((e: unknown) => {
      throw new Error(`${source.name}: ${errorMessage(e)}`);
    });
    return await runOpened(env, source, m, gate);
  } catch (e) {
    if (e instanceof Error && e.name === 'CancelledError') throw e;
    return errored(errorMessage(e));
  } finally {
    await source.close?.();
  }
}

/** The gates of every format: the first invalid one's reason, and the verification of the first (the most bytes) or of the one that failed. */
async function gateAll(gate: FormatGate, formats: readonly ModelFormat[]): Promise<{ invalid: string | null; verification?: Verification }> {
  let first: Awaited<ReturnType<FormatGate>> | undefined;
  for (const f of formats) {
    const g = await gate(f);
    if (g.invalid) return g;
    first ??= g;
  }
  return first ?? { invalid: 'no format to check' };
}

/** The workload of a file whose header was read. */
async function runOpened(env: GenEnv, source: NamedSource, m: GgufModel, gate: FormatGate): Promise<Workload> {
  const arch = archOf(m.spec);
  const format = fileFormats(m.header, m.spec);
  const base = { id: fileWorkloadId(source.name), preset: source.name, arch, format: format.label, tests: [] };
  const used = formatsUsed(arch, format);
  const formatProblems = used.flatMap((f) => {
    const c = validateArch(arch, f);
    return c.ok ? [] : c.errors;
  });
  if (formatProblems.length) return { ...base, state: 'skipped', reason: formatProblems.join('; ') };
  const vocab = vocabOrNull(m);
  const prompt = promptOf(env.gen, vocab, arch.vocab);
  const caps = capacities(env.gen, prompt ? { promptLen: prompt.ids.length } : undefined);
  const kvType = kvTypeOf(env.gen);
  const { memory, accounting } = plan(env.device, arch, format, caps, kvType);
  const layout = fileWeightLayout(m.header);
  Object.assign(accounting, { params: fileParams(m.header), weightBytes: layout.weightBytes, decodeBytesPerToken: decodeBytesPerToken(arch, format, 0, 1, layout, kvType).perToken });
  if (!memory.fits) return { ...base, state: 'skipped', reason: memory.reason, accounting };
  // A file in a named mix is checked as that mix (its segments included); any other mix format by format.
  const checked = await gateAll(gate, format.label === 'mixed' ? used : [format.label]);
  if (checked.invalid) return { ...base, state: 'invalid', reason: checked.invalid, accounting };
  const res = new Resources();
  try {
    const tuned = await tune(env, arch, format);
    const hash = { sha256: null as string | null };
    let shown = -1;
    // Every 1% (and the end): a label per 16 MiB chunk would flood a page's progress display.
    const onProgress = (bytes: number, total: number) => {
      const pct = Math.floor((100 * bytes) / total);
      if (pct > shown) env.onStep(loadingLabel(source.name, bytes, total));
      shown = Math.max(shown, pct);
    };
    const file = await ggufModelFile(env.device, source, m, { onProgress, signal: env.signal, timeoutMs: env.timeoutMs }, hash);
    const model = await buildModel(env, res, base.id, arch, format, tuned, caps, file);
    const decodeOps = await model.forward('decode', 1);
    accounting.dispatchesPerDecodeStep = countDispatches([...decodeOps.body, ...decodeOps.head]);
    const ctx = { env, model, res, id: base.id, arch, format, weightBytes: layout.weightBytes, layout, ...(tuned.linearVariants ? { linearChoices: tuned.linearVariants } : {}) };
    const tests = await tokenTests(ctx);
    let text: WorkloadText | undefined;
    if (prompt) {
      env.onStep(`generating ${env.gen.genTokens} tokens from the prompt`);
      const generated = await withErrorScopes(env.device, `${base.id}.generate`, () => model.greedy(Uint32Array.from(prompt.ids), env.gen.genTokens, env.timeoutMs));
      // `prompt` is the text as given; a prompt given as ids is null (reports then show the ids).
      text = { prompt: prompt.text, promptTokens: prompt.ids, generatedTokens: generated, generated: textOf(vocab, generated, false) };
    }
    const figures = await kernelFigures(env, res, model);
    const source_ = sourceOf(source.name, m, hash.sha256 as string);
    return { ...base, source: source_, ...(text ? { text } : {}), state: 'ok', accounting, tests, ...figures, ...(checked.verification ? { verification: checked.verification } : {}) };
  } catch (e) {
    if (e instanceof Error && e.name === 'CancelledError') throw e;
    return { ...base, ...failed(e, memory), accounting };
  } finally {
    res.destroyAll();
  }
}
