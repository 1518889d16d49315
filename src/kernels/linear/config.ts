/** What a linear layer is: its config, the buffers bind() takes, and the token tiles it compiles. */
import type { QTensor, WeightFormat } from '../../core/tensor';
import type { LinearParams, SgmatEnvOption } from './variants';

/**
 * Token tiles compiled per layer; bind() picks the smallest that holds all rows (up to 8), so a decode
 * step of one token does no work for absent tokens. Must stay within MAX_TT in the shader.
 */
export const TOKEN_TILES = [1, 2, 4, 8] as const;
export type TokenTile = (typeof TOKEN_TILES)[number];

/** Smallest compiled token tile holding `rows` tokens (8 for 8 or more: several tiles along z). */
export function tokenTile(rows: number): TokenTile {
  return TOKEN_TILES.find((t) => t >= rows) ?? TOKEN_TILES[TOKEN_TILES.length - 1]!;
}

/** Most tokens one call handles (prefill prompts). */
export const LINEAR_MAX_ROWS = 1024;

export interface LinearConfig {
  format: WeightFormat;
  /** Inputs per token: multiple of 8 (f32, f16) or 32 (q8_0, q4_0). */
  K: number;
  /** Rows of W: outputs per token (any count), or 2 x outputs with `swiglu` (then even). */
  N: number;
  bias: boolean;
  /** y[t, n] += result (o_proj/down into the residual stream) instead of y = result. */
  residual: boolean;
  /**
   * RMSNorm prologue: x is replaced by rmsnorm(x)[t, k] = x[t, k] * norm[k] / sqrt(mean_k x[t, k]^2 + eps),
   * with the f32 norm weights given to bind(). x itself is left as it is (it stays the residual stream).
   */
  norm?: { eps: number };
  /**
   * SwiGLU epilogue: W's rows are interleaved (row 2i = gate_i, row 2i+1 = up_i) and the layer writes
   * y[t, i] = silu(gate_i) * up_i, y being [rows, N / 2]. Not with `residual`. Every part of W must start
   * at an even row and hold an even count (allocTensor with rowMultiple 2).
   */
  swiglu?: boolean;
  /** Appended to the works' label (e.g. "qkv": linear_q4_0_norm_qkv), so profiles tell the layers apart. */
  tag?: string;
  /** Variant per token tile (tuned); DEFAULT_LINEAR_PARAMS for the others. */
  variants?: Partial<Record<TokenTile, LinearParams>>;
  /** Token tiles to compile (default all); bind() fails for a row count that needs another. */
  tiles?: readonly TokenTile[];
}

export interface LinearArgs {
  /** f32 [rows, K], token-major. */
  x: GPUBuffer;
  /** [N, K] in cfg.format. */
  w: QTensor;
  /** f32 [rows, N] ([rows, N / 2] with swiglu); read too in residual mode. */
  y: GPUBuffer;
  /** f32 [N], when cfg.bias (for W's rows: interleaved too with swiglu). */
  bias?: GPUBuffer;
  /** f32 [K] RMSNorm weights, when cfg.norm. */
  norm?: GPUBuffer;
  /** Tokens, 1..LINEAR_MAX_ROWS. */
  rows: number;
}

/** Test hooks of createLinear (production code passes none). */
export interface LinearBuildOptions extends SgmatEnvOption {
  /** Rewrites the WGSL of sgmat variants (tests run a software emulation of subgroup matrices). */
  sgmatCode?: (code: string) => string;
}

/** Kernel label: linear_<format>[_norm][_swiglu] (pipelines) and [_<tag>] (works). */
export function linearLabel(cfg: LinearConfig, withTag: boolean): string {
  const parts = [`linear_${cfg.format}`, cfg.norm ? 'norm' : '', cfg.swiglu ? 'swiglu' : '', withTag ? (cfg.tag ?? '') : ''];
  return parts.filter(Boolean).join('_');
}
