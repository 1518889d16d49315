/**
 * From a GGUF header to tokenbench's architecture: the hyper-parameters (ModelSpec, an Arch extended with
 * what the four supported GGUF architectures need) and the tensor plan (every tensor's name, role, layer
 * and shape). The plan is the single description the writer writes and the loader checks a file against.
 */
import type { Arch } from '../types';
import { metaNumber, metaString, metaUniform } from './meta';
import { GgufError, type GgufHeader, type GgufMetadata, type GgufTensorInfo } from './types';

export const SUPPORTED_ARCHS = ['llama', 'qwen2', 'qwen3', 'phi3'] as const;
export type GgufArchName = (typeof SUPPORTED_ARCHS)[number];

/**
 * Which pairs of a head's values RoPE rotates together. 'interleaved' (llama.cpp's "normal", used for
 * `llama`): (2i, 2i + 1). 'neox' (qwen2, qwen3, phi3, and tokenbench's rotate-half kernels): (i, i + d/2).
 * llama.cpp's converter permutes Llama's q/k rows so that interleaved RoPE on the GGUF weights equals
 * rotate-half RoPE on the original ones; ropeRowPermutation undoes that for rotate-half kernels.
 */
export type RopeStyle = 'interleaved' | 'neox';

export interface RopeScaling {
  /** 'none' when the file names none (llama.cpp then applies a factor of 1). */
  type: 'none' | 'linear' | 'yarn' | 'longrope';
  /** Context stretch factor (positions are divided by it for 'linear'); 1 for none. */
  factor: number;
  /** Context the model was trained with before scaling (yarn/longrope); the context length otherwise. */
  originalContext: number;
}

/** tokenbench's Arch plus what the GGUF architectures need beyond it. */
export interface ModelSpec extends Arch {
  ggufArch: GgufArchName;
  contextLength: number;
  ropeStyle: RopeStyle;
  /** Values of each head that RoPE rotates (the first ropeDim; all four archs here use headDim). */
  ropeDim: number;
  ropeScaling: RopeScaling;
  /** qwen3: RMSNorm over each head of q and of k (weights [headDim], eps normEps) before RoPE. */
  qkNorm: boolean;
  /** phi3: q, k and v in one attn_qkv matrix, rows [q; k; v]. */
  fusedQkv: boolean;
  /** phi3: ffn_up holds [gate; up]: the first ffn rows are the gate, the next ffn the up projection. */
  fusedGateUp: boolean;
  /** rope_freqs.weight present (Llama 3.1+): frequency i is divided by factor i. */
  ropeFreqFactors: boolean;
}

export type TensorRole =
  | 'token_embd' | 'output_norm' | 'output' | 'rope_freqs'
  | 'attn_norm' | 'attn_q' | 'attn_k' | 'attn_v' | 'attn_qkv' | 'attn_q_bias' | 'attn_k_bias' | 'attn_v_bias'
  | 'attn_q_norm' | 'attn_k_norm' | 'attn_output' | 'ffn_norm' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

export interface PlannedTensor {
  name: string;
  role: TensorRole;
  /** Block index, null for model-wide tensors. */
  layer: number | null;
  /** GGML order: [cols, rows] for matrices, [n] for vectors. */
  dims: number[];
}

const GLOBAL_ROLES: Record<string, TensorRole> = {
  'token_embd.weight': 'token_embd',
  'output_norm.weight': 'output_norm',
  'output.weight': 'output',
  'rope_freqs.weight': 'rope_freqs',
};
const LAYER_ROLES: Record<string, TensorRole> = {
  'attn_norm.weight': 'attn_norm',
  'attn_q.weight': 'attn_q',
  'attn_k.weight': 'attn_k',
  'attn_v.weight': 'attn_v',
  'attn_qkv.weight': 'attn_qkv',
  'attn_q.bias': 'attn_q_bias',
  'attn_k.bias': 'attn_k_bias',
  'attn_v.bias': 'attn_v_bias',
  'attn_q_norm.weight': 'attn_q_norm',
  'attn_k_norm.weight': 'attn_k_norm',
  'attn_output.weight': 'attn_output',
  'ffn_norm.weight': 'ffn_norm',
  'ffn_gate.weight': 'ffn_gate',
  'ffn_up.weight': 'ffn_up',
  'ffn_down.weight': 'ffn_down',
};

/** The role of a llama.cpp tensor name ("blk.3.attn_q.weight" → attn_q, layer 3), or null for any other name. */
export function tensorRole(name: string): { role: TensorRole; layer: number | null } | null {
  const g = Object.hasOwn(GLOBAL_ROLES, name) ? GLOBAL_ROLES[name] : undefined;
  if (g) return { role: g, layer: null };
  const m = /^blk\.(0|[1-9]\d*)\.(.+)$/.exec(name);
  const role = m && Object.hasOwn(LAYER_ROLES, m[2] as string) ? LAYER_ROLES[m[2] as string] : undefined;
  return role ? { role, layer: Number(m?.[1]) } : null;
}

function ropeScalingOf(meta: GgufMetadata, arch: string, contextLength: number): RopeScaling {
  const type = metaString(meta, `${arch}.rope.scaling.type`, 'none');
  if (!['none', 'linear', 'yarn', 'longrope'].includes(type)) {
    throw new GgufError('bad-metadata', `${arch}.rope.scaling.type "${type}" is not one of none, linear, yarn, longrope`);
  }
  const factor = metaNumber(meta, `${arch}.rope.scaling.factor`, metaNumber(meta, `${arch}.rope.scale_linear`, 0)) || 1;
  return {
    type: type as RopeScaling['type'],
    factor,
    originalContext: metaNumber(meta, `${arch}.rope.scaling.original_context_length`, contextLength),
  };
}

function positive(key: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new GgufError('bad-metadata', `GGUF metadata "${key}" must be a positive integer, found ${v}`);
  return v;
}

/** The architecture name, checked against the supported ones. */
export function ggufArchName(meta: GgufMetadata): GgufArchName {
  const arch = metaString(meta, 'general.architecture');
  if (!(SUPPORTED_ARCHS as readonly string[]).includes(arch)) {
    throw new GgufError('unknown-arch', `GGUF architecture "${arch}" is not supported; supported: ${SUPPORTED_ARCHS.join(', ')}`);
  }
  return arch as GgufArchName;
}

/**
 * The ModelSpec of a GGUF file. Hyper-parameters come from `<arch>.*` metadata (with llama.cpp's
 * defaults: kv heads = heads, head dim = hidden / heads, rope base 10000, rope dims = head dim); tied
 * output, biases and fused layouts from which tensors exist. Throws GgufError for an unsupported
 * architecture, missing keys, and a tensor set that does not match the architecture (checkTensors).
 */
export function archFromGguf(header: Pick<GgufHeader, 'metadata' | 'tensors'>): ModelSpec {
  const meta = header.metadata;
  const arch = ggufArchName(meta);
  const k = (s: string) => `${arch}.${s}`;
  const hidden = positive(k('embedding_length'), metaNumber(meta, k('embedding_length')));
  const heads = positive(k('attention.head_count'), metaUniform(meta, k('attention.head_count')));
  const headDim = positive(k('attention.key_length'), metaNumber(meta, k('attention.key_length'), Math.floor(hidden / heads)));
  const valueDim = metaNumber(meta, k('attention.value_length'), Math.floor(hidden / heads));
  if (valueDim !== headDim) throw new GgufError('bad-metadata', `${arch}: key length ${headDim} differs from value length ${valueDim}; tokenbench needs them equal`);
  const contextLength = positive(k('context_length'), metaNumber(meta, k('context_length')));
  const names = new Set(header.tensors.map((t) => t.name));
  const tokens = meta.get('tokenizer.ggml.tokens');
  const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
  if (!embd) throw new GgufError('bad-tensor', `${arch}: the file has no token_embd.weight`);
  const spec: ModelSpec = {
    name: metaString(meta, 'general.name', arch),
    ggufArch: arch,
    hidden,
    ffn: positive(k('feed_forward_length'), metaUniform(meta, k('feed_forward_length'))),
    layers: positive(k('block_count'), metaNumber(meta, k('block_count'))),
    heads,
    kvHeads: positive(k('attention.head_count_kv'), metaUniform(meta, k('attention.head_count_kv'), heads)),
    headDim,
    vocab: embd.rows,
    tiedEmbeddings: !names.has('output.weight'),
    qkvBias: names.has('blk.0.attn_q.bias') || names.has('blk.0.attn_qkv.bias'),
    ropeTheta: metaNumber(meta, k('rope.freq_base'), 10000),
    normEps: metaNumber(meta, k('attention.layer_norm_rms_epsilon')),
    contextLength,
    ropeStyle: arch === 'llama' ? 'interleaved' : 'neox',
    ropeDim: metaNumber(meta, k('rope.dimension_count'), headDim),
    ropeScaling: ropeScalingOf(meta, arch, contextLength),
    qkNorm: arch === 'qwen3',
    fusedQkv: names.has('blk.0.attn_qkv.weight'),
    fusedGateUp: arch === 'phi3',
    ropeFreqFactors: names.has('rope_freqs.weight'),
  };
  if (tokens?.type === 'array' && tokens.value.length !== spec.vocab) {
    throw new GgufError('bad-metadata', `${arch}: the tokenizer has ${tokens.value.length} tokens but token_embd.weight has ${spec.vocab} rows`);
  }
  validateSpec(spec);
  checkTensors(spec, header.tensors);
  return spec;
}

/** Throws for hyper-parameters the architecture (or tokenbench) cannot run. */
export function validateSpec(s: ModelSpec): void {
  const bad = (msg: string): never => {
    throw new GgufError('bad-metadata', `${s.ggufArch} "${s.name}": ${msg}`);
  };
  if (s.heads % s.kvHeads !== 0) bad(`${s.heads} heads is not a multiple of ${s.kvHeads} kv heads`);
  if (s.headDim % 2 !== 0) bad(`head dim ${s.headDim} is odd`);
  if (s.ropeDim !== s.headDim) bad(`RoPE over ${s.ropeDim} of ${s.headDim} values per head (partial RoPE) is not supported`);
  if ((s.ggufArch === 'qwen2' || s.ggufArch === 'phi3') && s.heads * s.headDim !== s.hidden) {
    bad(`heads x head dim (${s.heads} x ${s.headDim}) must equal the hidden size ${s.hidden} for ${s.ggufArch}`);
  }
  if (s.fusedGateUp !== (s.ggufArch === 'phi3')) bad('only phi3 fuses gate and up');
  if (s.qkNorm !== (s.ggufArch === 'qwen3')) bad('only qwen3 has per-head q/k norms');
  if (s.ggufArch === 'qwen3' && s.qkvBias) bad('qwen3 has no q/k/v biases');
}

/** Every tensor a model with this spec has, in llama.cpp's conventional order (the writer's order). */
export function tensorPlan(s: ModelSpec): PlannedTensor[] {
  const nq = s.heads * s.headDim;
  const nkv = s.kvHeads * s.headDim;
  const plan: PlannedTensor[] = [{ name: 'token_embd.weight', role: 'token_embd', layer: null, dims: [s.hidden, s.vocab] }];
  if (s.ropeFreqFactors) plan.push({ name: 'rope_freqs.weight', role: 'rope_freqs', layer: null, dims: [s.ropeDim / 2] });
  for (let l = 0; l < s.layers; l++) {
    const t = (suffix: string, role: TensorRole, dims: number[]) => plan.push({ name: `blk.${l}.${suffix}`, role, layer: l, dims });
    t('attn_norm.weight', 'attn_norm', [s.hidden]);
    if (s.fusedQkv) {
      t('attn_qkv.weight', 'attn_qkv', [s.hidden, nq + 2 * nkv]);
    } else {
      t('attn_q.weight', 'attn_q', [s.hidden, nq]);
      t('attn_k.weight', 'attn_k', [s.hidden, nkv]);
      t('attn_v.weight', 'attn_v', [s.hidden, nkv]);
    }
    if (s.qkvBias) {
      t('attn_q.bias', 'attn_q_bias', [nq]);
      t('attn_k.bias', 'attn_k_bias', [nkv]);
      t('attn_v.bias', 'attn_v_bias', [nkv]);
    }
    if (s.qkNorm) {
      t('attn_q_norm.weight', 'attn_q_norm', [s.headDim]);
      t('attn_k_norm.weight', 'attn_k_norm', [s.headDim]);
    }
    t('attn_output.weight', 'attn_output', [nq, s.hidden]);
    t('ffn_norm.weight', 'ffn_norm', [s.hidden]);
    if (!s.fusedGateUp) t('ffn_gate.weight', 'ffn_gate', [s.hidden, s.ffn]);
    t('ffn_up.weight', 'ffn_up', [s.hidden, s.fusedGateUp ? 2 * s.ffn : s.ffn]);
    t('ffn_down.weight', 'ffn_down', [s.ffn, s.hidden]);
  }
  plan.push({ name: 'output_norm.weight', role: 'output_norm', layer: null, dims: [s.hidden] });
  if (!s.tiedEmbeddings) plan.push({ name: 'output.weight', role: 'output', layer: null, dims: [s.hidden, s.vocab] });
  return plan;
}

/** Throws one GgufError listing every missing, unexpected or misshapen tensor. */
export function checkTensors(s: ModelSpec, tensors: readonly Pick<GgufTensorInfo, 'name' | 'dims'>[]): void {
  const plan = new Map(tensorPlan(s).map((p) => [p.name, p]));
  const have = new Map(tensors.map((t) => [t.name, t]));
  const problems: string[] = [];
  const missing = [...plan.keys()].filter((n) => !have.has(n));
  if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
  const extra = [...have.keys()].filter((n) => !plan.has(n));
  if (extra.length) problems.push(`not part of a ${s.ggufArch} model tokenbench runs: ${extra.join(', ')}`);
  for (const [name, p] of plan) {
    const t = have.get(name);
    if (t && t.dims.join('x') !== p.dims.join('x')) problems.push(`${name} is [${t.dims.join(', ')}], expected [${p.dims.join(', ')}]`);
  }
  if (problems.length) throw new GgufError('bad-tensor', `${s.ggufArch} "${s.name}" tensors do not match its metadata: ${problems.join('; ')}`);
}

/**
 * For rotate-half ('neox') RoPE kernels running an 'interleaved' model: new row r of each head takes old
 * row perm[r], so q·k is unchanged and rotate-half RoPE on the permuted q/k rows (and biases) equals
 * interleaved RoPE on the original ones. perm[i] = 2i and perm[i + d/2] = 2i + 1 within each head.
 */
export function ropeRowPermutation(headDim: number): number[] {
  const half = headDim / 2;
  return Array.from({ length: headDim }, (_, r) => (r < half ? 2 * r : 2 * (r - half) + 1));
}

/** GGUF key-value pairs (`<arch>.*`) describing a spec, as llama.cpp reads them; the writer uses these. */
export function specMetadata(s: ModelSpec): [key: string, type: 'u32' | 'f32' | 'string', value: number | string][] {
  const a = s.ggufArch;
  const out: [string, 'u32' | 'f32' | 'string', number | string][] = [
    [`${a}.context_length`, 'u32', s.contextLength],
    [`${a}.embedding_length`, 'u32', s.hidden],
    [`${a}.block_count`, 'u32', s.layers],
    [`${a}.feed_forward_length`, 'u32', s.ffn],
    [`${a}.attention.head_count`, 'u32', s.heads],
    [`${a}.attention.head_count_kv`, 'u32', s.kvHeads],
    [`${a}.attention.key_length`, 'u32', s.headDim],
    [`${a}.attention.value_length`, 'u32', s.headDim],
    [`${a}.attention.layer_norm_rms_epsilon`, 'f32', s.normEps],
    [`${a}.rope.freq_base`, 'f32', s.ropeTheta],
    [`${a}.rope.dimension_count`, 'u32', s.ropeDim],
  ];
  if (s.ropeScaling.type !== 'none') {
    out.push([`${a}.rope.scaling.type`, 'string', s.ropeScaling.type], [`${a}.rope.scaling.factor`, 'f32', s.ropeScaling.factor]);
    out.push([`${a}.rope.scaling.original_context_length`, 'u32', s.ropeScaling.originalContext]);
  }
  return out;
}

/** A ModelSpec for an architecture from tokenbench's Arch fields (defaults for the rest), validated. */
export function modelSpec(ggufArch: GgufArchName, a: Arch, extra: Partial<Omit<ModelSpec, keyof Arch | 'ggufArch'>> = {}): ModelSpec {
  const spec: ModelSpec = {
    ...a,
    ggufArch,
    contextLength: 2048,
    ropeStyle: ggufArch === 'llama' ? 'interleaved' : 'neox',
    ropeDim: a.headDim,
    ropeScaling: { type: 'none', factor: 1, originalContext: extra.contextLength ?? 2048 },
    qkNorm: ggufArch === 'qwen3',
    fusedQkv: ggufArch === 'phi3',
    fusedGateUp: ggufArch === 'phi3',
    ropeFreqFactors: false,
    ...extra,
  };
  validateSpec(spec);
  return spec;
}
