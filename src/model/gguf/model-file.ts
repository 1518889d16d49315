/**
 * A GGUF file as a GPU model: what the generation phase needs besides the GpuModel itself. The header is
 * read first (readGgufHeader, archFromGguf: unsupported architectures and tensor types are GgufErrors
 * naming them); the memory preflight and byte counts come from its tensor table; the weights are streamed
 * only when the model is built (upload.ts), hashing the file on the way.
 */
import type { WeightFormat } from '../../core/tensor';
import type { WeightLayout } from '../accounting';
import type { Resources } from '../../gpu/buffers';
import { type MatrixKind, type ModelFormat, type TensorFormats } from '../formats/mix';
import { q4KMFormat } from '../formats/recipe';
import { GpuModel, type ModelConfig, type ModelFileConfig } from '../model';
import type { Arch } from '../types';
import { type ModelSpec, archFromGguf, tensorRole } from './arch';
import { readGgufHeader } from './read';
import type { ByteSource } from './source';
import { GgufError, type GgufHeader } from './types';
import { type UploadOptions, readTensorValues, uploadGguf } from './upload';

/** A file's header and the model it describes. */
export interface GgufModel {
  header: GgufHeader;
  spec: ModelSpec;
}

/** Reads and checks the header: throws GgufError for files tokenbench cannot run, naming what is wrong. */
export async function openGgufModel(source: ByteSource): Promise<GgufModel> {
  const header = await readGgufHeader(source);
  return { header, spec: archFromGguf(header) };
}

/** tokenbench's Arch of a spec (what a result's workload records). */
export function archOf(spec: ModelSpec): Arch {
  const { name, hidden, ffn, layers, heads, kvHeads, headDim, vocab, tiedEmbeddings, qkvBias, ropeTheta, normEps } = spec;
  return { name, hidden, ffn, layers, heads, kvHeads, headDim, vocab, tiedEmbeddings, qkvBias, ropeTheta, normEps };
}

/**
 * The file's own formats, matrix by matrix, and what a result calls them (labelOf: its one format,
 * q4_k_m when the file follows that recipe, else mixed). Fused tensors give their parts their type
 * (phi3's attn_qkv to q, k and v; its ffn_up, which holds gate and up, to both); a tied head is the
 * embedding. Vectors (norms, biases) are f32 in the model whatever the file stores.
 */
export function fileFormats(header: GgufHeader, spec: ModelSpec): TensorFormats {
  const byName = new Map(header.tensors.filter((t) => t.dims.length >= 2).map((t) => [t.name, t.format as WeightFormat]));
  const of = (kind: MatrixKind, layer: number | null): WeightFormat => {
    const at = (k: string) => byName.get(layer === null ? `${k}.weight` : `blk.${layer}.${k}.weight`);
    const fused = kind === 'attn_q' || kind === 'attn_k' || kind === 'attn_v' ? at('attn_qkv') : kind === 'ffn_gate' ? at('ffn_up') : undefined;
    const f = at(kind) ?? fused ?? (kind === 'output' ? at('token_embd') : undefined);
    if (!f) throw new GgufError('bad-tensor', `the file has no ${layer === null ? kind : `blk.${layer}.${kind}`} matrix`);
    return f;
  };
  return { label: fileLabel(header, spec), of };
}

/**
 * What a result calls a file's formats: its matrices' one type, 'q4_k_m' when every tensor has the type
 * llama.cpp's Q4_K_M recipe gives it (formats/recipe.ts, on the file's own tensors: phi3's fused ones
 * included), else 'mixed'.
 */
function fileLabel(header: GgufHeader, spec: ModelSpec): ModelFormat | 'mixed' {
  const matrices = header.tensors.filter((t) => t.dims.length >= 2);
  const types = new Set(matrices.map((t) => t.format as WeightFormat));
  if (types.size === 1) return [...types][0] as WeightFormat;
  try {
    if (header.tensors.every((t) => t.format === q4KMFormat(t, spec.layers, spec.tiedEmbeddings))) return 'q4_k_m';
  } catch {
    // the recipe cannot place k-quant blocks in this shape: not a Q4_K_M file as tokenbench makes them
  }
  return 'mixed';
}

/**
 * The per-pair RoPE inverse frequencies of a spec as f32, as llama.cpp derives them: base^(-2i/d), times
 * 1/factor under linear scaling, divided by rope_freqs' factor i when the file has it. Throws for scaling
 * types the kernels do not implement (yarn, longrope).
 */
export function ropeInvFreqOf(spec: ModelSpec, factors: Float32Array | null): Float32Array {
  const { type, factor } = spec.ropeScaling;
  if (type !== 'none' && type !== 'linear') throw new GgufError('bad-metadata', `${spec.ggufArch} "${spec.name}": ${type} RoPE scaling is not supported (none and linear are)`);
  const scale = type === 'linear' ? 1 / factor : 1;
  const half = spec.ropeDim / 2;
  if (factors && factors.length !== half) throw new GgufError('bad-tensor', `rope_freqs.weight has ${factors.length} factors for ${half} frequencies`);
  return Float32Array.from({ length: half }, (_, i) => (scale * spec.ropeTheta ** ((-2 * i) / spec.ropeDim)) / (factors ? (factors[i] as number) : 1));
}

/** Bytes a tensor occupies on the GPU: a matrix as in the file (layouts are byte-exact), a vector as f32. */
function gpuBytes(t: GgufHeader['tensors'][number]): number {
  return t.dims.length >= 2 ? t.bytes : 4 * t.rows * t.cols;
}

/**
 * What a decode step needs to read of the file's weights, from its real layout: every tensor the kernels
 * read, once per step (the embedding only as the looked-up rows, unless it doubles as the head;
 * rope_freqs not at all: it is folded into the RoPE frequencies), plus the bytes of one embedding row.
 */
export function fileWeightLayout(header: GgufHeader): WeightLayout {
  let stepWeights = 0;
  let lookupRowBytes = 0;
  let tied = true;
  for (const t of header.tensors) {
    const role = tensorRole(t.name)?.role;
    if (role === 'output') tied = false;
    if (role === 'token_embd') lookupRowBytes = t.bytes / t.rows;
  }
  for (const t of header.tensors) {
    const role = tensorRole(t.name)?.role;
    if (role === 'rope_freqs' || (role === 'token_embd' && !tied)) continue;
    stepWeights += gpuBytes(t);
  }
  const weightBytes = header.tensors.filter((t) => tensorRole(t.name)?.role !== 'rope_freqs').reduce((s, t) => s + gpuBytes(t), 0);
  return { stepWeights, lookupRowBytes, weightBytes };
}

/** Parameters of the file: every weight of every tensor (rope_freqs, which holds none, aside). */
export function fileParams(header: GgufHeader): number {
  return header.tensors.filter((t) => tensorRole(t.name)?.role !== 'rope_freqs').reduce((s, t) => s + t.rows * t.cols, 0);
}

/** Tensors per GGML type: count and bytes in the file, most bytes first. */
export function tensorTypes(header: GgufHeader): { type: string; count: number; bytes: number }[] {
  const by = new Map<string, { type: string; count: number; bytes: number }>();
  for (const t of header.tensors) {
    const e = by.get(t.typeName) ?? { type: t.typeName, count: 0, bytes: 0 };
    e.count++;
    e.bytes += t.bytes;
    by.set(t.typeName, e);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes);
}

/**
 * The model file config of a GpuModel built from this file: frequencies (rope_freqs read first, on its
 * own), the q/k norms, and a loader that streams the tensors into the model's buffers. The file's SHA-256
 * is set in `hash.sha256` once the load finished.
 */
export async function ggufModelFile(
  device: GPUDevice,
  source: ByteSource,
  m: GgufModel,
  options: UploadOptions,
  hash: { sha256: string | null },
): Promise<ModelFileConfig> {
  const freqs = m.header.tensors.find((t) => tensorRole(t.name)?.role === 'rope_freqs');
  const factors = freqs ? await readTensorValues(source, freqs) : null;
  return {
    ropeInvFreq: ropeInvFreqOf(m.spec, factors),
    qkNorm: m.spec.qkNorm,
    load: async (targets) => {
      hash.sha256 = await uploadGguf(device, source, m.header, m.spec, targets, options);
    },
  };
}

/** The shapes of a GPU model of a file (ModelConfig without what the file decides). */
export type GgufModelShape = Omit<ModelConfig, 'arch' | 'format' | 'file'>;

/**
 * A GpuModel with the file's weights, each matrix in the file's own format (fileFormats): header checks,
 * frequencies, streaming. Returns the model and the file's SHA-256.
 */
export async function createGgufGpuModel(device: GPUDevice, res: Resources, source: ByteSource, m: GgufModel, shape: GgufModelShape, options: UploadOptions): Promise<{ model: GpuModel; sha256: string }> {
  const hash = { sha256: null as string | null };
  const file = await ggufModelFile(device, source, m, options, hash);
  const model = await GpuModel.create(device, res, { ...shape, arch: archOf(m.spec), format: fileFormats(m.header, m.spec), file });
  return { model, sha256: hash.sha256 as string };
}
