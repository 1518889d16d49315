/**
 * Tuning tasks of the kernel families: each builds its operands once at the real shape and checks every
 * candidate against the CPU reference before it can be timed (tuner.ts).
 */
import { type Resources, Resources as ResourcesImpl } from '../../gpu/buffers';
import { type Variant, feasible } from '../../core/variant';
import { type Check, checked, combine, verify } from '../../core/verify';
import { copiesFor } from '../../core/stream';
import { type QTensor, allocTensor, tensorBytes } from '../../core/tensor';
import { type GpuWork, rotate } from '../../core/work';
import { ampLog2For, generateWeights } from '../../kernels/weights/weights';
import { createMatmul } from '../../kernels/matmul/matmul';
import type { MatmulShape } from '../../kernels/matmul/matmul.ref';
import { MATMUL_VARIANTS, type MatmulParams } from '../../kernels/matmul/variants';
import { decodeAttentionFixture } from '../../kernels/attention/check';
import { type DecodeTile, decodeTileVariants } from '../../kernels/attention/tiles';
import type { AttentionShape } from '../../kernels/attention/attention.ref';
import { type LinearConfig, type TokenTile, TOKEN_TILES, tokenTile } from '../../kernels/linear/config';
import { createLinear } from '../../kernels/linear/linear';
import { type LinearFixture, describeLinearCase, linearFixture, linearThreshold } from '../../kernels/linear/check';
import { type LinearParams, isSgmat, linearVariants } from '../../kernels/linear/variants';
import type { GenerationConfig, KvType, Verification } from '../../schema/result';
import type { Tuner, TuneTask } from './tuner';

/**
 * Output columns per token checked against the reference when tuning a real shape (an lm_head has
 * 10^5 columns of 10^3..10^4 weights: all of them would take the CPU longer than the whole tuning).
 * Both ends are always among them, and every output is checked for poison.
 */
export const TUNE_CHECK_COLUMNS = 64;

/**
 * The variants a layer of `cfg` may run at token tile `tt` on `device`. f32 weights never go to the f16
 * subgroup-matrix GEMM: it rounds x and W to f16, and an f32 workload must not silently run f16
 * arithmetic.
 */
export function linearCandidates(device: GPUDevice, cfg: LinearConfig, tt: TokenTile): Variant<LinearParams>[] {
  return feasible(linearVariants(cfg, tt), device).filter((v) => cfg.format !== 'f32' || !isSgmat(v.params));
}

/** How far timed candidates stream their weights (the suite's `stream`): copies rotate, as in core/stream.ts. */
export interface StreamConfig {
  targetBytes: number;
  maxCopies: number;
}

/** Fresh synthetic copies of `w` (same shape, format and parts; other seeds), for timing that no cache can serve. */
async function weightCopies(device: GPUDevice, res: Resources, w: QTensor, K: number, count: number): Promise<QTensor[]> {
  const out: QTensor[] = [];
  for (let c = 0; c < count; c++) {
    const maxBinding = Math.max(...w.parts.map((p) => p.data.size));
    const copy = allocTensor(device, res, `${w.label}.copy${c}`, w.format, w.rows, w.cols, maxBinding);
    await generateWeights(device, res, copy, 0x5eed + 7919 * c, ampLog2For(K));
    out.push(copy);
  }
  return out;
}

/**
 * The linear layer `cfg` at the row counts `rowsList` that share one token tile: every variant that can
 * run it there. A candidate is checked against the CPU reference at every one of those row counts (a
 * partly filled tile is a different shape) and timed at the largest, rotating through weight copies that
 * stream `stream.targetBytes` (a variant that only wins from cache must not win).
 */
export function linearTask(device: GPUDevice, cfg: LinearConfig, rowsList: readonly number[], timeoutMs: number, stream?: StreamConfig): TuneTask<LinearParams> {
  const rows = Math.max(...rowsList);
  const tt = tokenTile(rows);
  const checkedRows = [...new Set(rowsList)].sort((a, b) => a - b);
  const c = { ...cfg, rows, parts: 1 };
  return {
    family: 'linear',
    key: `${describeLinearCase(c)}${cfg.tag ? ` (${cfg.tag})` : ''}${checkedRows.length > 1 ? `, checked at rows ${checkedRows.join(', ')}` : ''}`,
    candidates: linearCandidates(device, cfg, tt).map((v) => ({ id: v.id, value: v.params })),
    async open(res: Resources) {
      const fixtures: LinearFixture[] = [];
      for (const r of checkedRows) fixtures.push(await linearFixture(device, res, { ...c, rows: r }, timeoutMs, TUNE_CHECK_COLUMNS));
      const timedFixture = fixtures[fixtures.length - 1] as LinearFixture;
      const bytes = tensorBytes(cfg.format, cfg.N, cfg.K);
      const copies = stream ? await weightCopies(device, res, timedFixture.args.w, cfg.K, copiesFor(bytes, stream.targetBytes, stream.maxCopies) - 1) : [];
      return async (p: LinearParams) => {
        const layer = await createLinear(device, { ...cfg, variants: { [tt]: p }, tiles: [tt] });
        const onFixtures = fixtures.map((f) => ({ rows: f.c.rows, work: layer.bind(f.args, res), check: f.check(linearThreshold(p)) }));
        const largest = (onFixtures[onFixtures.length - 1] as (typeof onFixtures)[number]).work;
        const timed = rotate(`${largest.label}.streamed`, [largest, ...copies.map((w) => layer.bind({ ...timedFixture.args, w }, res))]);
        return Object.assign(timed, { check: () => checkAt(device, onFixtures) });
      };
    },
  };
}

/** One Verification over a candidate's checks at every row count it runs at. */
async function checkAt(device: GPUDevice, at: ReadonlyArray<{ rows: number; work: GpuWork; check: Check }>): Promise<Verification> {
  const cases = [];
  for (const a of at) cases.push({ name: `${a.rows} rows`, verification: await verify(device, a.work, a.check) });
  const first = at[0] as (typeof at)[number];
  return at.length === 1 ? (cases[0] as { verification: Verification }).verification : combine(`${first.check.method}; at rows ${at.map((a) => a.rows).join(', ')}`, first.check.threshold, cases);
}

/**
 * Decode attention for `rows` sequences at position `pos` over a `kvType` cache: every tile that fits this
 * head geometry. An f16 cache reads half the bytes, so it is its own task (the key says so; an f32 task
 * keeps the key tuning caches had before the setting).
 */
export function attentionDecodeTask(
  device: GPUDevice,
  shape: Omit<AttentionShape, 'ctxCap'>,
  rows: number,
  pos: number,
  timeoutMs: number,
  kvType: KvType = 'f32',
): TuneTask<DecodeTile> {
  return {
    family: 'attention_decode',
    key: `${shape.heads}/${shape.kvHeads} heads x ${shape.headDim}, ${rows} sequence(s) at position ${pos}${kvType === 'f32' ? '' : `, ${kvType} KV cache`}`,
    candidates: feasible(decodeTileVariants(shape.headDim), device).map((v) => ({ id: v.id, value: v.params })),
    open: (res: Resources) => decodeAttentionFixture(device, res, shape, rows, pos, timeoutMs, kvType),
  };
}

/**
 * Tunes decode attention for each batch of a workload at the mean position of its longest decode test
 * (depth + half the generated tokens): long contexts are where the tile matters. `kvType` is the cache
 * the run uses: the tiles are timed and checked on it.
 */
export async function tuneDecodeAttention(
  tuner: Tuner,
  device: GPUDevice,
  shape: Omit<AttentionShape, 'ctxCap'>,
  gen: Pick<GenerationConfig, 'batches' | 'depths' | 'genTokens'>,
  timeoutMs: number,
  kvType: KvType = 'f32',
): Promise<Partial<Record<number, DecodeTile>>> {
  const pos = Math.max(...gen.depths) + Math.floor(gen.genTokens / 2);
  const out: Partial<Record<number, DecodeTile>> = {};
  for (const b of gen.batches) out[b] = await tuner.choose(attentionDecodeTask(device, shape, b, pos, timeoutMs, kvType));
  return out;
}

/** The f32 matmul at `shape`: every variant that fits this device, each on its own operands (freed after). */
export function matmulTask(device: GPUDevice, shape: MatmulShape, seed: number, timeoutMs: number): TuneTask<Variant<MatmulParams>> {
  return {
    family: 'matmul_f32',
    key: `${shape.M}x${shape.N}x${shape.K}`,
    candidates: feasible(MATMUL_VARIANTS, device).map((v) => ({ id: v.id, value: v })),
    async open() {
      return async (variant: Variant<MatmulParams>) => {
        const own = new ResourcesImpl();
        try {
          const k = await createMatmul(device, own, shape, { seed, timeoutMs, variant });
          return Object.assign(k, { dispose: () => own.destroyAll() });
        } catch (e) {
          own.destroyAll();
          throw e;
        }
      };
    },
  };
}

/** Token rows the linears of a workload run at, per token tile (every row count of each tile, ascending). */
export interface LinearUsage {
  /** The layers' linears: prompt lengths (prefill) and decode batches. */
  layers: Map<TokenTile, number[]>;
  /** The output head: one row after a prefill, the batch in decode. */
  head: Map<TokenTile, number[]>;
}

export function linearUsage(gen: Pick<GenerationConfig, 'promptLens' | 'batches'>): LinearUsage {
  const add = (m: Map<TokenTile, Set<number>>, rows: number) => {
    const tt = tokenTile(rows);
    m.set(tt, (m.get(tt) ?? new Set()).add(rows));
  };
  const layers = new Map<TokenTile, Set<number>>();
  const head = new Map<TokenTile, Set<number>>();
  for (const b of gen.batches) {
    add(layers, b);
    add(head, b);
  }
  for (const p of gen.promptLens) add(layers, p);
  add(head, 1);
  const sorted = (m: Map<TokenTile, Set<number>>) => new Map(TOKEN_TILES.filter((t) => m.has(t)).map((t) => [t, [...(m.get(t) as Set<number>)].sort((a, b) => a - b)]));
  return { layers: sorted(layers), head: sorted(head) };
}

/** The variant (its params) per token tile for each linear of a model, as LinearConfig.variants takes them. */
export type LinearChoices<R extends string> = Record<R, Partial<Record<TokenTile, LinearParams>>>;

/**
 * Tunes every linear of a model for the token tiles it will run at: `configs` maps a role (qkv, o, ...)
 * to its layer config, `isHead` says which roles follow the head's usage.
 */
export async function tuneLinears<R extends string>(
  tuner: Tuner,
  device: GPUDevice,
  configs: Record<R, LinearConfig>,
  isHead: (role: R) => boolean,
  usage: LinearUsage,
  timeoutMs: number,
  stream?: StreamConfig,
): Promise<LinearChoices<R>> {
  const out = {} as LinearChoices<R>;
  for (const role of Object.keys(configs) as R[]) {
    const cfg = configs[role];
    const choices: Partial<Record<TokenTile, LinearParams>> = {};
    for (const [tt, rows] of isHead(role) ? usage.head : usage.layers) {
      choices[tt] = await tuner.choose(linearTask(device, cfg, rows, timeoutMs, stream));
    }
    out[role] = choices;
  }
  return out;
}
