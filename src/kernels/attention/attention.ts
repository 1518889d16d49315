/**
 * Causal GQA attention over the KV cache: attentionPrefill (flash-attention tiles, one sequence) and
 * attentionDecode (one query row per sequence), shaders/attention/{prefill,decode}.wgsl, with their tiles
 * in tiles.ts. CPU reference in attention.ref.ts; the run-time check in check.ts.
 *
 * Both read q already rotated, caches [seqCap][kvHeads][ctxCap][headDim] that already hold every
 * attended position, and `state` (array<u32>, state[0] = position of the first query row). The caches'
 * element type is the config's kvType (default f32; f16 packed two per u32, no shader-f16 needed):
 * shaders/kv/load_{f32,f16}.wgsl fill the kernels' `{{kv}}` key.
 */
import decodeWgsl from '../../../shaders/attention/decode.wgsl?raw';
import prefillWgsl from '../../../shaders/attention/prefill.wgsl?raw';
import kvLoadF16Wgsl from '../../../shaders/kv/load_f16.wgsl?raw';
import kvLoadF32Wgsl from '../../../shaders/kv/load_f32.wgsl?raw';
import { createUniform } from '../../gpu/buffers';
import { fillTemplate, getPipeline } from '../../gpu/wgsl';
import type { KvType } from '../../core/kv';
import { assertFeasible } from '../../core/variant';
import { type BufferArg, type Kernel, bindBuffers, dispatchWork } from '../../core/work';
import { assertRows } from '../transformer/shared';
import type { AttentionShape } from './attention.ref';
import { type DecodeTile, type PrefillTile, decodeTileVariant, defaultDecodeTile, defaultPrefillTile, prefillTileVariant } from './tiles';

export interface AttentionConfig extends AttentionShape {
  /** The caches' element type (default f32). */
  kvType?: KvType;
}

/** The cache reads of each KV-cache type, inserted as the kernels' `{{kv}}` key. */
const KV_LOAD_CODE: Readonly<Record<KvType, string>> = { f32: kvLoadF32Wgsl, f16: kvLoadF16Wgsl };

/** A kernel's WGSL with the cache reads of `cfg.kvType`. */
function withKv(code: string, cfg: AttentionConfig): string {
  return fillTemplate(code, { kv: KV_LOAD_CODE[cfg.kvType ?? 'f32'] });
}

function assertShape(label: string, cfg: AttentionShape): void {
  const { heads, kvHeads, headDim, ctxCap } = cfg;
  if (!(heads > 0 && kvHeads > 0 && heads % kvHeads === 0)) {
    throw new Error(`${label}: heads ${heads} must be a positive multiple of kvHeads ${kvHeads}`);
  }
  if (!(headDim > 0 && headDim % 4 === 0)) throw new Error(`${label}: headDim ${headDim} must be a positive multiple of 4`);
  if (!(ctxCap > 0)) throw new Error(`${label}: ctxCap must be positive`);
}

export interface AttentionArgs {
  /** f32 [rows, heads * headDim], already rotated. */
  q: BufferArg;
  kCache: BufferArg;
  vCache: BufferArg;
  /** f32 [rows, heads * headDim]. */
  out: BufferArg;
  state: BufferArg;
  rows: number;
}

/** Grid (groupsX(rows), heads): the bind both kernels share. */
function attentionKernel(device: GPUDevice, label: string, pipeline: GPUComputePipeline, cfg: AttentionShape, variant: string, groupsX: (rows: number) => number): Kernel<AttentionArgs> {
  return {
    bind(args, res) {
      assertRows(device, label, args.rows, false);
      const gx = groupsX(args.rows);
      if (gx > device.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: ${args.rows} rows need too many workgroups`);
      const params = createUniform(device, res, `${label}.params`, new Uint32Array([args.rows, cfg.heads, cfg.kvHeads, cfg.ctxCap]).buffer);
      const group = bindBuffers(device, pipeline, label, [args.q, args.kCache, args.vCache, args.out, args.state, params]);
      return dispatchWork(label, pipeline, [{ group, grid: [gx, cfg.heads] }], { variant });
    },
  };
}

/**
 * Causal flash attention for a prefill chunk of sequence 0: query t (position state[0] + t) attends to
 * cache positions 0 ..= state[0] + t. Grid (ceil(rows / bq), heads); see the shader for the tile steps.
 */
export async function createAttentionPrefill(device: GPUDevice, cfg: AttentionConfig & { tile?: PrefillTile }): Promise<Kernel<AttentionArgs>> {
  const label = 'attention_prefill';
  assertShape(label, cfg);
  const maxBytes = device.limits.maxComputeWorkgroupStorageSize;
  // Heads too wide for the portable budget (headDim 256) take what this device grants.
  const tile = cfg.tile ?? defaultPrefillTile(cfg.headDim) ?? defaultPrefillTile(cfg.headDim, maxBytes);
  if (!tile) throw new Error(`${label}: no tile fits headDim ${cfg.headDim} in ${maxBytes} bytes of workgroup memory`);
  const variant = prefillTileVariant(cfg.headDim, tile);
  assertFeasible(`${label} (headDim ${cfg.headDim})`, variant, device);
  const pipeline = await getPipeline(device, { label, code: withKv(prefillWgsl, cfg), constants: { HD: cfg.headDim, BQ: tile.bq, BK: tile.bk, WG: tile.wg } });
  return attentionKernel(device, label, pipeline, cfg, variant.id, (rows) => Math.ceil(rows / tile.bq));
}

/**
 * Decode attention: row b (sequence b, one query per head) attends to cache positions 0 ..= state[0]
 * of sequence b. Grid (rows, heads); a workgroup of (headDim / 4) * rowGroups threads per (b, head).
 */
export async function createAttentionDecode(device: GPUDevice, cfg: AttentionConfig & { tile?: DecodeTile }): Promise<Kernel<AttentionArgs>> {
  const label = 'attention_decode';
  assertShape(label, cfg);
  const variant = decodeTileVariant(cfg.headDim, cfg.tile ?? defaultDecodeTile(cfg.headDim));
  assertFeasible(`${label} (headDim ${cfg.headDim})`, variant, device);
  const tile = variant.params;
  const pipeline = await getPipeline(device, { label, code: withKv(decodeWgsl, cfg), constants: { HD: cfg.headDim, R: tile.rowGroups, KPS: tile.keysPerGroup } });
  return attentionKernel(device, label, pipeline, cfg, variant.id, (rows) => rows);
}
