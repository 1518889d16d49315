/**
 * Byte, FLOP and memory accounting of our forward pass. Pure arithmetic on an Arch: the roofline verdicts
 * divide measured times by these figures, so they follow what our kernels actually read and compute, not
 * an idealised model. Inputs are assumed to have passed validateArch(arch, format).
 *
 * What we store: per layer q[heads*headDim x hidden], k and v[kvHeads*headDim x hidden],
 * o[hidden x heads*headDim], gate and up[ffn x hidden], down[hidden x ffn]; embedding[vocab x hidden], and
 * lm_head[vocab x hidden] too unless tied; each matrix in the format the model format gives it
 * (formats/mix.ts: one for all, or per tensor for a mix), at exactly its GGUF bytes. Norm weights (2 per
 * layer + final, hidden each) and QKV biases in f32. The KV cache is f16 or f32 (kvType; f32 where a
 * caller does not say, as results from before the setting ran): per layer one K and one V buffer of
 * [seqs][kvHeads][ctx][headDim].
 */
import { type KvType, kvElementBytes } from '../core/kv';
import { dataBytes, tensorBytes } from '../core/tensor';
import { type Formats, type MatrixKind, matrixFormat } from './formats/mix';
import type { Arch } from './types';

const F32 = 4;

/** One weight matrix of a layer: W[rows, cols], one row per output feature. */
export interface MatrixShape {
  name: 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';
  rows: number;
  cols: number;
}

/** llama.cpp's name of each layer matrix (formats/mix.ts decides formats by it). */
const KIND: Record<MatrixShape['name'], MatrixKind> = {
  q: 'attn_q',
  k: 'attn_k',
  v: 'attn_v',
  o: 'attn_output',
  gate: 'ffn_gate',
  up: 'ffn_up',
  down: 'ffn_down',
};

/** Bytes of layer `layer`'s matmul weights in `format`. */
function layerBytes(arch: Arch, format: Formats, layer: number): number {
  return layerMatrices(arch).reduce((s, m) => s + tensorBytes(matrixFormat(arch, format, KIND[m.name], layer), m.rows, m.cols), 0);
}

/** The seven matmul weights of one layer, in the order the forward pass uses them. */
export function layerMatrices(arch: Arch): MatrixShape[] {
  const qDim = arch.heads * arch.headDim;
  const kvDim = arch.kvHeads * arch.headDim;
  return [
    { name: 'q', rows: qDim, cols: arch.hidden },
    { name: 'k', rows: kvDim, cols: arch.hidden },
    { name: 'v', rows: kvDim, cols: arch.hidden },
    { name: 'o', rows: arch.hidden, cols: qDim },
    { name: 'gate', rows: arch.ffn, cols: arch.hidden },
    { name: 'up', rows: arch.ffn, cols: arch.hidden },
    { name: 'down', rows: arch.hidden, cols: arch.ffn },
  ];
}

/** Matmul weights of one layer (no norms, no biases). */
function layerParams(arch: Arch): number {
  return layerMatrices(arch).reduce((s, m) => s + m.rows * m.cols, 0);
}

/** f32 values of norm weights: attention and FFN norm per layer, plus the final norm. */
function normParams(arch: Arch): number {
  return (2 * arch.layers + 1) * arch.hidden;
}

/** f32 values of Q/K/V biases over all layers (Qwen2 only). */
function biasParams(arch: Arch): number {
  return arch.qkvBias ? arch.layers * (arch.heads + 2 * arch.kvHeads) * arch.headDim : 0;
}

function assertCount(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${n}`);
}

/**
 * Per-token costs are linear in ctx, so a fractional ctx (the mean context over a generation run) gives
 * the exact mean cost; only require a finite non-negative number there.
 */
function assertCtx(ctx: number): void {
  if (!Number.isFinite(ctx) || ctx < 0) throw new RangeError(`ctx must be a finite number >= 0, got ${ctx}`);
}

/** Resident weight bytes, by part. */
export interface WeightBytes {
  total: number;
  embedding: number;
  /** 0 when tied: the embedding doubles as lm_head. */
  lmHead: number;
  /**
   * Matmul weights of one layer (norms and biases are counted in `norms` and `biases`); the mean over the
   * layers where a mix gives them different formats.
   */
  perLayer: number;
  /** perLayer * layers. */
  layers: number;
  norms: number;
  biases: number;
}

/**
 * Bytes the weights occupy on the GPU in `format` (norms and biases are always f32): what a GGUF file of
 * the model in that file type holds for these tensors.
 */
export function weightBytes(arch: Arch, format: Formats): WeightBytes {
  let layers = 0;
  for (let l = 0; l < arch.layers; l++) layers += layerBytes(arch, format, l);
  const perLayer = layers / arch.layers;
  const embedding = tensorBytes(matrixFormat(arch, format, 'token_embd', null), arch.vocab, arch.hidden);
  const lmHead = arch.tiedEmbeddings ? 0 : tensorBytes(matrixFormat(arch, format, 'output', null), arch.vocab, arch.hidden);
  const norms = normParams(arch) * F32;
  const biases = biasParams(arch) * F32;
  return { total: layers + embedding + lmHead + norms + biases, embedding, lmHead, perLayer, layers, norms, biases };
}

/** Parameter count as model cards give it: matmuls + embedding (+ lm_head if untied) + norms + biases. */
export function paramCount(arch: Arch): number {
  const embeddings = arch.vocab * arch.hidden * (arch.tiedEmbeddings ? 1 : 2);
  return arch.layers * layerParams(arch) + embeddings + normParams(arch) + biasParams(arch);
}

/** Bytes of the `kvType` KV cache holding `ctx` tokens for each of `seqs` sequences (K and V, all layers). */
export function kvCacheBytes(arch: Arch, ctx: number, seqs: number, kvType: KvType = 'f32'): number {
  assertCount('ctx', ctx, 0);
  assertCount('seqs', seqs, 1);
  return 2 * arch.layers * seqs * arch.kvHeads * ctx * arch.headDim * kvElementBytes(kvType);
}

/** Memory traffic of one decode step. weights/kvRead/kvWrite/total cover the whole batch. */
export interface DecodeBytes {
  /** Every weight once per step (batching amortises them), plus one embedding row per sequence. */
  weights: number;
  kvRead: number;
  kvWrite: number;
  total: number;
  /** total / batch: what one generated token costs. */
  perToken: number;
}

/**
 * A model file's own weight layout (gguf/model-file.ts fileWeightLayout), counted from its tensor table
 * where an Arch and one format cannot say it (per-tensor formats, q/k norms).
 */
export interface WeightLayout {
  /** Bytes of the weights a decode step reads once whatever the batch (the embedding only when it is the head). */
  stepWeights: number;
  /** Bytes of one embedding row, looked up once per sequence. */
  lookupRowBytes: number;
  /** Bytes of every weight on the GPU. */
  weightBytes: number;
}

/**
 * Bytes moved by one decode step of `batch` sequences that each hold `ctx` tokens in the cache already
 * (fractional ctx: the mean over a run).
 * Weights are read once per step whatever the batch, so they amortise; the KV cache is per sequence, so it
 * doesn't. Attention reads ctx+1 positions because the new token's K/V is written first, then read back.
 * Activations are ignored: they are O(hidden) per row and stay in cache. With `layout` (a model file), the
 * weights are the file's. K and V values take kvElementBytes(kvType) each (f16: 2, f32: 4).
 */
export function decodeBytesPerToken(arch: Arch, format: Formats, ctx: number, batch: number, layout?: WeightLayout, kvType: KvType = 'f32'): DecodeBytes {
  assertCtx(ctx);
  assertCount('batch', batch, 1);
  const w = weightBytes(arch, format);
  // Tied: the embedding matrix is read whole as the output head, and its rows are the lookups.
  const head = arch.tiedEmbeddings ? w.embedding : w.lmHead;
  const lookups = tensorBytes(matrixFormat(arch, format, 'token_embd', null), batch, arch.hidden);
  const weights = layout ? layout.stepWeights + batch * layout.lookupRowBytes : w.layers + head + lookups + w.norms + w.biases;
  const kvPerToken = 2 * arch.layers * arch.kvHeads * arch.headDim * kvElementBytes(kvType);
  const kvRead = batch * kvPerToken * (ctx + 1);
  const kvWrite = batch * kvPerToken;
  const total = weights + kvRead + kvWrite;
  return { weights, kvRead, kvWrite, total, perToken: total / batch };
}

/**
 * FLOPs to decode one token with `ctx` tokens already cached (fractional: the mean over a run): 2 per matmul weight (lm_head included, the
 * embedding lookup is free), plus attention QK^T and PV over ctx+1 positions (2 * headDim each per head).
 * Norms, RoPE, softmax and SiLU are O(hidden) and left out, as in the usual 2N + attention estimate.
 */
export function flopsPerToken(arch: Arch, ctx: number): number {
  assertCtx(ctx);
  const matmul = 2 * (arch.layers * layerParams(arch) + arch.vocab * arch.hidden);
  const attention = arch.layers * 4 * arch.heads * arch.headDim * (ctx + 1);
  return matmul + attention;
}

/**
 * FLOPs to prefill a prompt of `promptLen` tokens: layer matmuls for every token, lm_head for the last
 * token only (only its logits are sampled), and causal attention where position p attends to p+1 keys,
 * summed: 4 * heads * headDim * promptLen*(promptLen+1)/2 per layer.
 */
export function prefillFlops(arch: Arch, promptLen: number): number {
  assertCount('promptLen', promptLen, 1);
  const matmul = 2 * promptLen * arch.layers * layerParams(arch) + 2 * arch.vocab * arch.hidden;
  const attention = arch.layers * 4 * arch.heads * arch.headDim * ((promptLen * (promptLen + 1)) / 2);
  return matmul + attention;
}

/** What a run needs and the device limits it must respect. */
export interface MemoryPlanOptions {
  /** KV-cache capacity per sequence in tokens (prompt + generated). */
  ctx: number;
  /** Sequences decoded together. */
  batch: number;
  promptLen: number;
  /** device.limits.maxStorageBufferBindingSize. */
  maxBindingBytes: number;
  /** device.limits.maxBufferSize. */
  maxBufferSize: number;
  /** Total bytes we allow ourselves (e.g. a fraction of the adapter's memory); no check when absent. */
  budgetBytes?: number;
  /** KV-cache element type (default f32). */
  kvType?: KvType;
}

export interface MemoryPlan {
  fits: boolean;
  /** Every reason it doesn't fit, with the numbers; a summary when it fits. */
  reason: string;
  weights: number;
  kvCache: number;
  activations: number;
  total: number;
  largestBuffer: number;
}

/**
 * Whether a run fits the device before we allocate anything, so a model too big for this GPU is reported
 * as skipped with a reason instead of failing half-way through allocation.
 *
 * Activations (f32), for rows = max(promptLen, batch) (prefill and decode reuse the same buffers):
 *   4 * (rows * (2*hidden + 2*heads*headDim + 2*kvHeads*headDim + 3*ffn) + batch * vocab)
 * i.e. residual and norm out (hidden), q and attention out (heads*headDim), k and v (kvHeads*headDim),
 * gate, up and ffn act (ffn) per row, and logits for the batch rows (prefill needs only 1 row, batch >= 1).
 *
 * It doesn't fit when a K or V buffer of one layer, or an activation buffer, exceeds the binding limit;
 * when one weight row does (larger matrices are split into row parts, a row can't be); when any buffer
 * exceeds maxBufferSize; when the prompt doesn't fit the cache; or when the total exceeds the budget.
 */
export function memoryPlan(arch: Arch, format: Formats, o: MemoryPlanOptions): MemoryPlan {
  assertCount('ctx', o.ctx, 1);
  assertCount('batch', o.batch, 1);
  assertCount('promptLen', o.promptLen, 1);
  assertCount('maxBindingBytes', o.maxBindingBytes, 1);
  assertCount('maxBufferSize', o.maxBufferSize, 1);
  const binding = o.maxBindingBytes;
  const bindingName = `maxStorageBufferBindingSize ${binding}`;
  const problems: string[] = [];

  const weights = weightBytes(arch, format).total;
  const kvType = o.kvType ?? 'f32';
  const kvCache = kvCacheBytes(arch, o.ctx, o.batch, kvType);
  // One K (or V) buffer of one layer is what the attention kernel binds.
  const kvLayer = o.batch * arch.kvHeads * o.ctx * arch.headDim * kvElementBytes(kvType);

  const rows = Math.max(o.promptLen, o.batch);
  const qDim = arch.heads * arch.headDim;
  const kvDim = arch.kvHeads * arch.headDim;
  const activations = F32 * (rows * (2 * arch.hidden + 2 * qDim + 2 * kvDim + 3 * arch.ffn) + o.batch * arch.vocab);
  const actBuffers: Array<[string, number]> = [
    [`residual (${rows} x ${arch.hidden})`, F32 * rows * arch.hidden],
    [`q (${rows} x ${qDim})`, F32 * rows * qDim],
    [`k (${rows} x ${kvDim})`, F32 * rows * kvDim],
    [`gate (${rows} x ${arch.ffn})`, F32 * rows * arch.ffn],
    [`logits (${o.batch} x ${arch.vocab})`, F32 * o.batch * arch.vocab],
  ];
  let largestAct = 0;
  for (const [name, bytes] of actBuffers) {
    largestAct = Math.max(largestAct, bytes);
    if (bytes > binding) problems.push(`activation buffer ${name} needs ${bytes} bytes > ${bindingName}`);
  }

  if (kvLayer > binding) problems.push(`KV cache for one layer needs ${kvLayer} bytes > ${bindingName}`);
  if (o.promptLen > o.ctx) problems.push(`promptLen ${o.promptLen} exceeds the KV-cache capacity ctx ${o.ctx}`);

  // Weight matrices are split into parts of whole rows (rowsPerPart in core/tensor.ts), so only one row
  // larger than the binding limit is fatal; the largest part is as many rows as fit (every layer: a mix's
  // layers differ in which matrices get more bits).
  const layers = Array.from({ length: arch.layers }, (_, l) => l);
  const matrices = [
    ...layers.flatMap((l) => layerMatrices(arch).map((m) => ({ ...m, format: matrixFormat(arch, format, KIND[m.name], l) }))),
    { name: 'embedding', rows: arch.vocab, cols: arch.hidden, format: matrixFormat(arch, format, 'token_embd', null) },
    ...(arch.tiedEmbeddings ? [] : [{ name: 'lm_head', rows: arch.vocab, cols: arch.hidden, format: matrixFormat(arch, format, 'output', null) }]),
  ];
  let largestWeight = 0;
  const tooWide = new Set<string>();
  for (const m of matrices) {
    const rowBytes = dataBytes(m.format, m.cols);
    if (rowBytes > binding) {
      if (!tooWide.has(`${m.cols} ${m.format}`)) problems.push(`one row of ${m.cols} ${m.format} weights needs ${rowBytes} bytes > ${bindingName}`);
      tooWide.add(`${m.cols} ${m.format}`);
      continue;
    }
    largestWeight = Math.max(largestWeight, Math.min(m.rows, Math.floor(binding / rowBytes)) * rowBytes);
  }

  const largestBuffer = Math.max(kvLayer, largestAct, largestWeight);
  if (largestBuffer > o.maxBufferSize) problems.push(`largest buffer needs ${largestBuffer} bytes > maxBufferSize ${o.maxBufferSize}`);

  const total = weights + kvCache + activations;
  const parts = `weights ${weights} + KV cache ${kvCache} + activations ${activations}`;
  if (o.budgetBytes !== undefined && total > o.budgetBytes) problems.push(`total ${total} bytes (${parts}) > budget ${o.budgetBytes}`);

  const fits = problems.length === 0;
  const reason = fits ? `fits: total ${total} bytes (${parts}), largest buffer ${largestBuffer} bytes` : problems.join('; ');
  return { fits, reason, weights, kvCache, activations, total, largestBuffer };
}
