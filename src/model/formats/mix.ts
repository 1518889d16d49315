/**
 * A model's weight format: one format for every matrix (f32, f16, ..., q6_k), or a llama.cpp mix that picks
 * a format per tensor, as `llama-quantize` does for a named file type. `q4_k_m` follows the Q4_K_M recipe
 * (recipe.ts): Q4_K for most matrices, Q6_K for the output head and for attn_v and ffn_down in the layers
 * that "use more bits". Norms and biases are f32 in every format. Every per-tensor decision of the model,
 * its CPU reference, the byte accounting and the traffic count comes from matrixFormat.
 */
import { KBLOCK, WEIGHT_FORMATS, type WeightFormat, colsMultiple, tensorBytes } from '../../core/tensor';
import type { Arch } from '../types';
import { q4KMFormat } from './recipe';

/** The mixes: llama.cpp file types whose tensors have different formats. */
export const MIXES = ['q4_k_m'] as const;
export type Mix = (typeof MIXES)[number];

/** The weight format of a model (what a workload id names: `<model>-<format>`). */
export type ModelFormat = WeightFormat | Mix;

/** Every model format: the plain ones, then the mixes. */
export const MODEL_FORMATS: readonly ModelFormat[] = Object.freeze([...WEIGHT_FORMATS, ...MIXES]);

export function isModelFormat(s: string): s is ModelFormat {
  return (MODEL_FORMATS as readonly string[]).includes(s);
}

/** The matrices of a model, as llama.cpp names them (token_embd doubles as the head when tied). */
export type MatrixKind = 'token_embd' | 'output' | 'attn_q' | 'attn_k' | 'attn_v' | 'attn_output' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

/**
 * A model file's own formats, tensor by tensor, whatever recipe made it: `of` gives the format of each
 * matrix; `label` is what a result calls the model's format (one plain format, a mix the file follows
 * exactly, or 'mixed': the workload's source block then lists the tensor types).
 */
export interface TensorFormats {
  readonly label: ModelFormat | 'mixed';
  of(kind: MatrixKind, layer: number | null): WeightFormat;
}

/** The formats of a model's matrices: a model format (synthetic weights) or a file's own. */
export type Formats = ModelFormat | TensorFormats;

/** Columns (the input size K) of a matrix of `arch`. */
function matrixCols(arch: Arch, kind: MatrixKind): number {
  if (kind === 'attn_output') return arch.heads * arch.headDim;
  return kind === 'ffn_down' ? arch.ffn : arch.hidden;
}

/** Rows (outputs) of a matrix of `arch`. */
function matrixRows(arch: Arch, kind: MatrixKind): number {
  switch (kind) {
    case 'token_embd':
    case 'output':
      return arch.vocab;
    case 'attn_q':
      return arch.heads * arch.headDim;
    case 'attn_k':
    case 'attn_v':
      return arch.kvHeads * arch.headDim;
    case 'ffn_gate':
    case 'ffn_up':
      return arch.ffn;
    default:
      return arch.hidden;
  }
}

/**
 * The format of matrix `kind` of layer `layer` (null for token_embd and output) of `arch` in model format
 * `format`. A mix throws where the recipe cannot place its k-quant blocks (rows not a multiple of 256 whose
 * llama.cpp fallbacks tokenbench lacks): validateArch reports that first, as a column requirement.
 */
export function matrixFormat(arch: Arch, format: Formats, kind: MatrixKind, layer: number | null): WeightFormat {
  if (typeof format !== 'string') return format.of(kind, layer);
  if (format !== 'q4_k_m') return format;
  const name = layer === null ? `${kind}.weight` : `blk.${layer}.${kind}.weight`;
  return q4KMFormat({ name, dims: [matrixCols(arch, kind), matrixRows(arch, kind)] }, arch.layers, arch.tiedEmbeddings);
}

/** What every matmul input size (hidden, ffn, heads * headDim) must be a multiple of in `format`. */
export function modelColsMultiple(format: ModelFormat): number {
  return format === 'q4_k_m' ? KBLOCK : colsMultiple(format);
}

/** Every matrix of `arch` by kind and layer (token_embd and, when untied, output with layer null). */
function matrixSlots(arch: Arch): Array<{ kind: MatrixKind; layer: number | null }> {
  const perLayer: MatrixKind[] = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'];
  const out: Array<{ kind: MatrixKind; layer: number | null }> = [{ kind: 'token_embd', layer: null }];
  if (!arch.tiedEmbeddings) out.push({ kind: 'output', layer: null });
  for (let l = 0; l < arch.layers; l++) for (const kind of perLayer) out.push({ kind, layer: l });
  return out;
}

/** The distinct formats of a model's matrices, most bytes first. */
export function formatsUsed(arch: Arch, format: Formats): WeightFormat[] {
  if (typeof format === 'string' && format !== 'q4_k_m') return [format];
  const bytes = new Map<WeightFormat, number>();
  for (const { kind, layer } of matrixSlots(arch)) {
    const f = matrixFormat(arch, format, kind, layer);
    bytes.set(f, (bytes.get(f) ?? 0) + tensorBytes(f, matrixRows(arch, kind), matrixCols(arch, kind)));
  }
  return [...bytes.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
}
