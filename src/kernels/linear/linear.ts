/**
 * Linear layer y = x · Wᵀ (+ bias) (+= into y in residual mode) for every weight format, optionally
 * fused with an RMSNorm prologue (y = rmsnorm(x) · Wᵀ) and a SwiGLU epilogue (interleaved gate/up rows,
 * y = silu(gate) * up): createLinear compiles one pipeline per token tile (the variant chosen for it,
 * variants.ts; its WGSL, wgsl.ts), bind() checks the buffers and makes the bind groups once. The check
 * against the float64 CPU reference is in check.ts.
 */
import { type Resources, createUniform } from '../../gpu/buffers';
import { getPipeline } from '../../gpu/wgsl';
import { colsMultiple } from '../../core/tensor';
import { assertFeasible } from '../../core/variant';
import { type GpuWork, type Kernel, dispatchWork } from '../../core/work';
import { sgmatEnvOf } from '../matmul/sgmat-plan';
import { LINEAR_MAX_ROWS, type LinearArgs, type LinearBuildOptions, type LinearConfig, TOKEN_TILES, type TokenTile, linearLabel, tokenTile } from './config';
import { DEFAULT_LINEAR_PARAMS, type LinearParams, type SgmatLinearPlan, isSgmat, isTiled, linearVariant, linearVariantId, planSgmatLinear } from './variants';
import { linearPipelineSpec } from './wgsl';

/** Throws unless the layer's shape and modes are ones the kernels compute. */
function assertConfig(label: string, cfg: LinearConfig): void {
  const { format, K, N } = cfg;
  const m = colsMultiple(format);
  if (!(Number.isInteger(K) && K > 0 && K % m === 0)) throw new Error(`${label}: K=${K} must be a positive multiple of ${m}`);
  if (!(Number.isInteger(N) && N > 0)) throw new Error(`${label}: N=${N} must be a positive integer`);
  if (cfg.swiglu && N % 2 !== 0) throw new Error(`${label}: N=${N} must be even (interleaved gate/up rows)`);
  if (cfg.swiglu && cfg.residual) throw new Error(`${label}: the SwiGLU epilogue has no residual mode`);
  if (cfg.norm && !(Number.isFinite(cfg.norm.eps) && cfg.norm.eps >= 0)) throw new Error(`${label}: norm eps ${cfg.norm.eps} must be finite and >= 0`);
}

/** The pipeline of token tile `tt`: the variant configured for it, refused (with the reason) where it cannot run. */
async function tilePipeline(device: GPUDevice, cfg: LinearConfig, tt: TokenTile, opts: LinearBuildOptions): Promise<{ pipeline: GPUComputePipeline; params: LinearParams }> {
  const params = cfg.variants?.[tt] ?? DEFAULT_LINEAR_PARAMS;
  assertFeasible(`${linearLabel(cfg, true)} at token tile ${tt}`, linearVariant(cfg, tt, params, opts), device);
  const plan = isSgmat(params) ? (planSgmatLinear(opts.sgmatEnv ?? sgmatEnvOf(device), params) as SgmatLinearPlan) : undefined;
  return { pipeline: await getPipeline(device, linearPipelineSpec(cfg, tt, params, plan, opts)), params };
}

/** Throws unless `args` fit a layer built with `cfg` (shapes, modes, sizes, binding limits). */
function assertArgs(device: GPUDevice, label: string, cfg: LinearConfig, args: LinearArgs): void {
  const { x, w, y, bias, norm, rows } = args;
  const { format, K, N } = cfg;
  const fail = (why: string): never => {
    throw new Error(`${label}: ${why}`);
  };
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= LINEAR_MAX_ROWS)) fail(`rows=${rows} outside 1..${LINEAR_MAX_ROWS}`);
  if (w.format !== format || w.rows !== N || w.cols !== K) fail(`weights ${w.label} are ${w.format} [${w.rows}, ${w.cols}], expected ${format} [${N}, ${K}]`);
  if (cfg.bias !== (bias !== undefined)) fail(cfg.bias ? 'a bias buffer is required' : 'bias given to a layer built without bias');
  if (!!cfg.norm !== (norm !== undefined)) fail(cfg.norm ? 'norm weights are required' : 'norm weights given to a layer built without norm');
  if (cfg.swiglu) {
    const odd = w.parts.find((p) => p.rowStart % 2 !== 0 || p.rows % 2 !== 0);
    if (odd) fail(`weights ${w.label} have a part of rows ${odd.rowStart}..${odd.rowStart + odd.rows - 1}: SwiGLU needs parts of whole (gate, up) pairs`);
  }
  const xBytes = rows * K * 4;
  const yBytes = rows * (cfg.swiglu ? N / 2 : N) * 4;
  const maxBinding = device.limits.maxStorageBufferBindingSize;
  if (x.size < xBytes) fail(`x (${x.label}) has ${x.size} bytes, needs ${xBytes}`);
  if (y.size < yBytes) fail(`y (${y.label}) has ${y.size} bytes, needs ${yBytes}`);
  if (bias && bias.size < N * 4) fail(`bias (${bias.label}) has ${bias.size} bytes, needs ${N * 4}`);
  if (norm && norm.size < K * 4) fail(`norm (${norm.label}) has ${norm.size} bytes, needs ${K * 4}`);
  if (Math.max(xBytes, yBytes) > maxBinding) fail(`x or y exceeds maxStorageBufferBindingSize ${maxBinding}: split the tokens`);
}

/** Rows of W and tokens one workgroup of `p` covers at token tile `tt`. */
function groupShape(p: LinearParams, tt: number): { rows: number; tokens: number } {
  if (isSgmat(p)) return { rows: p.bn, tokens: p.bm };
  if (isTiled(p)) return { rows: p.wgX * p.tn, tokens: p.wgY * p.tm };
  return { rows: p.rows, tokens: tt };
}

/** One dispatch per part of W: its uniform, bind group and grid (row groups along x/y, token tiles along z). */
function partDispatches(device: GPUDevice, res: Resources, label: string, cfg: LinearConfig, args: LinearArgs, pipeline: GPUComputePipeline, p: LinearParams) {
  const { K, N } = cfg;
  const { x, w, y, bias, norm, rows } = args;
  const xBytes = rows * K * 4;
  const yBytes = rows * (cfg.swiglu ? N / 2 : N) * 4;
  const shape = groupShape(p, tokenTile(rows));
  const tokenTiles = Math.ceil(rows / shape.tokens);
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const layout = pipeline.getBindGroupLayout(0);
  return w.parts.map((part, i) => {
    const groups = Math.ceil(part.rows / shape.rows);
    const gx = Math.min(groups, maxGroups);
    const gy = Math.ceil(groups / gx);
    const words = new ArrayBuffer(32);
    new Uint32Array(words, 0, 6).set([K, N, rows, part.rowStart, part.rows, gx]);
    new Float32Array(words, 24, 1).set([cfg.norm?.eps ?? 0]);
    const uniform = createUniform(device, res, `${label}.part${i}.params`, words);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: x, size: xBytes } },
      { binding: 1, resource: { buffer: part.data } },
      { binding: 3, resource: { buffer: y, size: yBytes } },
      { binding: 5, resource: { buffer: uniform } },
    ];
    if (part.scales) entries.push({ binding: 2, resource: { buffer: part.scales } });
    if (bias) entries.push({ binding: 4, resource: { buffer: bias, size: N * 4 } });
    if (norm) entries.push({ binding: 6, resource: { buffer: norm, size: K * 4 } });
    const group = device.createBindGroup({ label: `${label}.part${i}.bind`, layout, entries });
    return { group, grid: [gx, gy, tokenTiles] as const };
  });
}

/** Compiles the layer's pipelines (one per token tile); bind() then ties them to buffers (one dispatch per part of W). */
export async function createLinear(device: GPUDevice, cfg: LinearConfig, opts: LinearBuildOptions = {}): Promise<Kernel<LinearArgs>> {
  const label = linearLabel(cfg, true);
  assertConfig(label, cfg);
  const tiles = cfg.tiles ?? TOKEN_TILES;
  const pipelines = new Map<number, { pipeline: GPUComputePipeline; params: LinearParams }>();
  await Promise.all(tiles.map(async (tt) => pipelines.set(tt, await tilePipeline(device, cfg, tt, opts))));
  return {
    bind(args: LinearArgs, res: Resources): GpuWork {
      assertArgs(device, label, cfg, args);
      const tt = tokenTile(args.rows);
      const built = pipelines.get(tt);
      if (!built) throw new Error(`${label}: token tile ${tt} (for ${args.rows} rows) was not compiled (tiles ${tiles.join(', ')})`);
      const dispatches = partDispatches(device, res, label, cfg, args, built.pipeline, built.params);
      return dispatchWork(label, built.pipeline, dispatches, { variant: linearVariantId(built.params) });
    },
  };
}
