/**
 * The linear layer's check against the float64 CPU reference (linear.ref.ts) on dequantised synthetic
 * weights: a fixture per case (weights generated on the GPU, bit-identical to the CPU copy, and random x,
 * bias, norm weights) any variant of the layer can be bound to, the thresholds per variant kind, and the
 * run-time self-check over every format and fusion.
 */
import { Resources, createBuffer, readBuffer } from '../../gpu/buffers';
import { fillConst, fillHash } from '../../core/fill';
import { hashValue, relativeL2, sampleIndices } from '../../core/numeric';
import { KBLOCK, WEIGHT_FORMATS, type WeightFormat, allocTensor, colsMultiple, dataBytes } from '../../core/tensor';
import { type Check, combine, countNonFinite, verify } from '../../core/verify';
import type { GpuWork } from '../../core/work';
import type { Verification } from '../../schema/result';
import { ampLog2For, generateWeights } from '../weights/weights';
import { dequantRows } from '../weights/weights.ref';
import { type LinearArgs, type LinearBuildOptions, type LinearConfig, tokenTile } from './config';
import { createLinear } from './linear';
import { linearRef } from './linear.ref';
import { DEFAULT_LINEAR_PARAMS, type LinearParams, isSgmat } from './variants';

/**
 * Relative L2 error allowed against the float64 reference. Weights and x are exact f32 values, so the
 * only error is f32 rounding of products and partial sums (~1e-7 at the checked K); 1e-5 leaves room
 * for FMA contraction and another summation order, while one wrong block, scale or row (>= 1e-2 at the
 * checked sizes) fails clearly.
 */
export const LINEAR_REL_L2_THRESHOLD = 1e-5;

/**
 * Relative L2 error allowed for variants that round x and W (norm weights folded in) to f16 and
 * accumulate in f32 (sgmat). Each rounding is a relative error of at most u = 2^-11 ~ 4.9e-4 (uniform,
 * variance u^2/3), so a product carries about sqrt(2/3) u ~ 4e-4 RMS; with independent signs the sum's
 * error keeps that relative size (~4e-4), SwiGLU at most doubles it (d log silu(g) / d log g <= 1.1, plus
 * up's error). 2e-3 (~4u) leaves a margin of 2.5..5 while a skipped K slice, wrong block or row (>= 1e-1
 * at the checked sizes, test/gpu/linear-sgmat.test.ts) fails clearly.
 */
export const LINEAR_F16_INPUT_THRESHOLD = 2e-3;

/** The check threshold of a variant: f32 variants LINEAR_REL_L2_THRESHOLD, f16-input ones LINEAR_F16_INPUT_THRESHOLD. */
export function linearThreshold(p: LinearParams): number {
  return isSgmat(p) ? LINEAR_F16_INPUT_THRESHOLD : LINEAR_REL_L2_THRESHOLD;
}

/** One verification case: a layer shape, its mode and how many row-parts its weights are split into. */
export interface LinearCase extends LinearConfig {
  rows: number;
  parts: number;
}

/** Outputs a case writes: rows x N, or rows x N / 2 with the SwiGLU epilogue. */
export function linearOutputs(c: LinearCase): number {
  return c.rows * (c.swiglu ? c.N / 2 : c.N);
}

/**
 * Sizes of the run-time check: odd N, K a few steps long, every token tile, each mode, split tensors
 * (odd part starts for the plain and norm layers, even ones for SwiGLU), and the fused forms the model
 * uses: norm + bias (QKV) and norm + SwiGLU (gate/up), with an eps large enough to matter.
 */
const CHECK_SHAPES: ReadonlyArray<Omit<LinearCase, 'format'>> = [
  { K: 96, N: 37, rows: 1, bias: false, residual: false, parts: 1 },
  { K: 64, N: 130, rows: 9, bias: true, residual: false, parts: 1 },
  { K: 96, N: 37, rows: 3, bias: false, residual: true, parts: 1 },
  { K: 64, N: 130, rows: 17, bias: false, residual: false, parts: 3 },
  { K: 96, N: 37, rows: 5, bias: true, residual: false, parts: 3, norm: { eps: 0.25 } },
  { K: 64, N: 130, rows: 9, bias: false, residual: false, parts: 1, norm: { eps: 1e-5 }, swiglu: true },
  { K: 64, N: 130, rows: 17, bias: false, residual: false, parts: 3, norm: { eps: 1e-5 }, swiglu: true },
];

/**
 * K of a check shape in `format`: as written (2 or 3 blocks of 32 for q8_0/q4_0, 8 or 12 load_w steps), or,
 * for the k-quants' 256-weight blocks, 1 block for 64 and 2 for 96 (32 and 64 steps: one or two per
 * thread of the default GEMV, sub-blocks of both halves of a block).
 */
function checkK(format: WeightFormat, K: number): number {
  return colsMultiple(format) === KBLOCK ? (K / 32 - 1) * KBLOCK : K;
}

/**
 * The k-quants once more at a real model's fan-in (K 4096: amplitude 2^-5), where their synthetic
 * super-block scales are subnormal halves, as real files' often are: an adapter whose unpack2x16float
 * flushes them to zero fails here instead of computing with zero weights.
 */
const SUBNORMAL_SCALE_SHAPE: Omit<LinearCase, 'format'> = { K: 4096, N: 21, rows: 2, bias: false, residual: false, parts: 1 };

/** Every format with every check shape, then the k-quants with subnormal super-block scales. */
export const LINEAR_CHECK_CASES: readonly LinearCase[] = [
  ...WEIGHT_FORMATS.flatMap((format) => CHECK_SHAPES.map((s) => ({ format, ...s, K: checkK(format, s.K) }))),
  ...WEIGHT_FORMATS.filter((f) => colsMultiple(f) === KBLOCK).map((format) => ({ format, ...SUBNORMAL_SCALE_SHAPE })),
];

export function describeLinearCase(c: LinearCase): string {
  const mode = [
    c.norm ? `norm(eps ${c.norm.eps})` : '',
    c.bias ? '+bias' : '',
    c.residual ? 'residual' : '',
    c.swiglu ? 'swiglu' : '',
    c.parts > 1 ? `${c.parts} parts` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${c.format} ${c.rows}x${c.K}->${c.N}${mode ? ` ${mode}` : ''}`;
}

const CHECK_SEED = 0x11ea4;

/**
 * The buffers of one case with random weights (generated on the GPU, bit-identical to the CPU copy), x,
 * bias and norm weights: built once, then any variant of the layer can be bound to it and checked.
 */
export interface LinearFixture {
  readonly c: LinearCase;
  readonly args: LinearArgs;
  /**
   * How a unit bound to `args` is checked: y poisoned with NaN (residual mode: refilled with its input),
   * compared with the float64 reference; passes at a relative L2 error up to `threshold`
   * (linearThreshold of the variant run).
   */
  check(threshold: number): Check;
}

/** The fixture's weights, x, y, bias and norm buffers, filled (CPU twins by seed: linearFixture). */
async function fixtureBuffers(device: GPUDevice, res: Resources, c: LinearCase, seed: number): Promise<LinearArgs> {
  const rowMultiple = c.swiglu ? 2 : 1;
  const rowsPerPart = Math.ceil(c.N / c.parts / rowMultiple) * rowMultiple;
  const maxBinding = c.parts > 1 ? dataBytes(c.format, rowsPerPart * c.K) : device.limits.maxStorageBufferBindingSize;
  const w = allocTensor(device, res, `linear_${c.format}.check.w`, c.format, c.N, c.K, maxBinding, rowMultiple);
  if (c.parts > 1 && w.parts.length !== c.parts) throw new Error(`${describeLinearCase(c)}: split into ${w.parts.length} parts, wanted ${c.parts}`);
  await generateWeights(device, res, w, seed, ampLog2For(c.K));
  const x = createBuffer(device, res, `linear_${c.format}.check.x`, c.rows * c.K * 4);
  const y = createBuffer(device, res, `linear_${c.format}.check.y`, linearOutputs(c) * 4);
  const bias = c.bias ? createBuffer(device, res, `linear_${c.format}.check.bias`, c.N * 4) : undefined;
  const norm = c.norm ? createBuffer(device, res, `linear_${c.format}.check.norm`, c.K * 4) : undefined;
  await fillHash(device, res, x, c.rows * c.K, seed + 1);
  if (bias) await fillHash(device, res, bias, c.N, seed + 2);
  if (norm) await fillHash(device, res, norm, c.K, seed + 4);
  return { x, w, y, rows: c.rows, ...(bias ? { bias } : {}), ...(norm ? { norm } : {}) };
}

/** The float64 reference of case `c` at output columns `cols` of every token (seeds as fixtureBuffers fills). */
function referenceAt(c: LinearCase, seed: number, cols: readonly number[]): Float64Array {
  const outCols = linearOutputs(c) / c.rows;
  const wRows = c.swiglu ? cols.flatMap((o) => [2 * o, 2 * o + 1]) : cols;
  const hashes = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => hashValue(s, i));
  const W = new Float32Array(wRows.length * c.K);
  wRows.forEach((r, i) => W.set(dequantRows(c.format, seed, ampLog2For(c.K), r, 1, c.K), i * c.K));
  const at = (i: number) => Math.floor(i / cols.length) * outCols + (cols[i % cols.length] as number);
  const yIn = c.residual ? Float32Array.from({ length: c.rows * cols.length }, (_, i) => hashValue(seed + 3, at(i))) : undefined;
  return linearRef(hashes(c.rows * c.K, seed + 1), c.rows, c.K, W, wRows.length, c.bias ? wRows.map((r) => hashValue(seed + 2, r)) : undefined, yIn, {
    ...(c.norm ? { norm: { w: hashes(c.K, seed + 4), eps: c.norm.eps } } : {}),
    ...(c.swiglu ? { swiglu: true } : {}),
  });
}

/**
 * The residual-mode input of y: the reference's values (hash, seed + 3) at the checked columns, and
 * exactly 0 everywhere else, so that an output the kernel never wrote stays 0 while a written one is
 * x·w (never exactly 0 for random operands): the poison of residual mode. untouched() counts them.
 */
function residualInput(c: LinearCase, seed: number, cols: readonly number[]): { values: Float32Array<ArrayBuffer>; untouched(got: Float32Array): number } {
  const outCols = linearOutputs(c) / c.rows;
  const values = new Float32Array(linearOutputs(c));
  const checkedAt = new Uint8Array(values.length);
  for (let t = 0; t < c.rows; t++) {
    for (const col of cols) {
      const i = t * outCols + col;
      values[i] = hashValue(seed + 3, i);
      checkedAt[i] = 1;
    }
  }
  return {
    values,
    untouched: (got) => {
      let n = 0;
      for (let i = 0; i < got.length; i++) if (!checkedAt[i] && got[i] === 0) n++;
      return n;
    },
  };
}

/**
 * Builds a fixture for `c` in `res`. `sampleOutputs`: above this many outputs per token, the reference
 * is computed for that many sampled columns (both ends included; whole gate/up pairs with SwiGLU) while
 * every output is still checked for poison: real-shape checks (an lm_head is ~10^9 weights) stay cheap.
 */
export async function linearFixture(device: GPUDevice, res: Resources, c: LinearCase, timeoutMs: number, sampleOutputs = Infinity): Promise<LinearFixture> {
  const seed = (CHECK_SEED + c.K * 7919 + c.N * 104729 + c.rows) >>> 0;
  const args = await fixtureBuffers(device, res, c, seed);
  const outputs = linearOutputs(c);
  const outCols = outputs / c.rows;
  // Output columns checked against the reference (the reference is computed once, on first use).
  const cols = sampleIndices(outCols, Math.min(outCols, sampleOutputs), seed);
  let ref: Float64Array | undefined;
  const which = cols.length === outCols ? 'all outputs' : `${cols.length} sampled columns x ${c.rows} tokens (both ends included), every output checked for poison`;
  const residual = c.residual ? residualInput(c, seed, cols) : null;
  return {
    c,
    args,
    check: (threshold) => ({
      method: `relative L2 error vs float64 CPU reference on dequantised weights, ${describeLinearCase(c)}, ${which}`,
      threshold,
      poison: async () => {
        if (residual) device.queue.writeBuffer(args.y, 0, residual.values);
        else await fillConst(device, res, args.y, outputs, NaN);
      },
      async compare() {
        const got = new Float32Array(await readBuffer(device, args.y, timeoutMs, 0, outputs * 4));
        const picked = Float32Array.from({ length: c.rows * cols.length }, (_, i) => got[Math.floor(i / cols.length) * outCols + (cols[i % cols.length] as number)] as number);
        ref ??= referenceAt(c, seed, cols);
        return { error: relativeL2(picked, ref), checked: picked.length, unwritten: countNonFinite(got) + (residual ? residual.untouched(got) : 0) };
      },
    }),
  };
}

export interface VerifyLinearOptions {
  /** Replaces the layer's unit before it runs (tests pass one that skips the dispatch, to prove the check fails). */
  tamper?: (work: GpuWork) => GpuWork;
  /** Goes to createLinear (test hooks). */
  build?: LinearBuildOptions;
}

/**
 * Runs one case (with c.variants, if any) on random x (and bias, norm weights, and y for residual mode;
 * otherwise y is poisoned with NaN) and compares y with linearRef on the dequantised weights, at the
 * threshold of the variant the case's token tile runs.
 */
export async function verifyLinear(device: GPUDevice, c: LinearCase, timeoutMs: number, opts: VerifyLinearOptions = {}): Promise<Verification> {
  const res = new Resources();
  try {
    const fixture = await linearFixture(device, res, c, timeoutMs);
    // Only the token tile the case's rows run at is compiled (compiles dominate a check on software adapters).
    const work = (await createLinear(device, { ...c, tiles: c.tiles ?? [tokenTile(c.rows)] }, opts.build)).bind(fixture.args, res);
    const params = c.variants?.[tokenTile(c.rows)] ?? DEFAULT_LINEAR_PARAMS;
    return await verify(device, opts.tamper ? opts.tamper(work) : work, fixture.check(linearThreshold(params)));
  } finally {
    res.destroyAll();
  }
}

/**
 * Run-time self check of the linear layer: every format on LINEAR_CHECK_CASES (small, odd sizes: a few
 * seconds on a software rasteriser), plain and fused. One Verification: worst error, outputs checked over
 * all cases.
 */
export async function checkLinear(device: GPUDevice, timeoutMs: number): Promise<Verification> {
  const cases: Array<{ name: string; verification: Verification }> = [];
  for (const c of LINEAR_CHECK_CASES) cases.push({ name: describeLinearCase(c), verification: await verifyLinear(device, c, timeoutMs) });
  const shapes = CHECK_SHAPES.map((s) => describeLinearCase({ format: 'f32', ...s }).slice('f32 '.length)).join(', ');
  const method =
    `relative L2 error vs float64 CPU reference on dequantised synthetic weights, all outputs, ` +
    `formats ${WEIGHT_FORMATS.join('/')} x shapes (tokens x K -> N) ${shapes} (K 64 -> 256, 96 -> 512 for the 256-weight k-quant blocks), and the k-quants at 2x4096->21 (subnormal f16 super-block scales); worst case reported`;
  return combine(method, LINEAR_REL_L2_THRESHOLD, cases);
}
