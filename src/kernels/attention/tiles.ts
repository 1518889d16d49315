/**
 * The tiles of the attention kernels as variants: the prefill tile (queries x keys per step, threads)
 * and the decode tile (row groups x keys per group), each built for a head dimension; whether one can
 * run is read from the device's limits. The decode tiles are what an autotuner times.
 */
import type { Variant } from '../../core/variant';

/**
 * Workgroup memory the default tiles stay within: the WebGPU minimum every device grants, so the same
 * tiles (and the same work per workgroup) run everywhere and figures stay comparable across devices.
 */
export const PORTABLE_WORKGROUP_BYTES = 16384;

/** Prefill tiling: BQ queries x BK keys per step, WG threads. */
export interface PrefillTile {
  bq: number;
  bk: number;
  wg: number;
}

/** Register arrays in shaders/attention/prefill.wgsl (MAX_SPT, MAX_OPT). */
const PREFILL_MAX_SCORES_PER_THREAD = 16;
const PREFILL_MAX_OUTPUTS_PER_THREAD = 32;
const PREFILL_WG = 64;

function prefillBytes(hd: number, t: PrefillTile): number {
  return 4 * (t.bq * (hd + 1) + t.bk * (hd + 1) + t.bq * t.bk + 3 * t.bq);
}

/** Why `t` cannot run head dimension `hd` within `maxBytes` of workgroup memory (undefined: it can). */
function prefillTileProblem(hd: number, t: PrefillTile, maxBytes: number): string | undefined {
  if (t.wg % t.bq !== 0) return `wg ${t.wg} is not a multiple of bq ${t.bq}`;
  const tpq = t.wg / t.bq;
  if (t.bk % tpq !== 0) return `bk ${t.bk} is not a multiple of wg/bq = ${tpq}`;
  if (t.bk / tpq > PREFILL_MAX_SCORES_PER_THREAD) return `bk/(wg/bq) = ${t.bk / tpq} scores per thread > ${PREFILL_MAX_SCORES_PER_THREAD}`;
  if ((t.bq * hd) % t.wg !== 0) return `bq*headDim = ${t.bq * hd} is not a multiple of wg ${t.wg}`;
  if ((t.bq * hd) / t.wg > PREFILL_MAX_OUTPUTS_PER_THREAD) {
    return `bq*headDim/wg = ${(t.bq * hd) / t.wg} outputs per thread > ${PREFILL_MAX_OUTPUTS_PER_THREAD}`;
  }
  if (prefillBytes(hd, t) > maxBytes) return `${prefillBytes(hd, t)} bytes of workgroup memory > ${maxBytes}`;
  return undefined;
}

/** The prefill tile `tile` for head dimension `headDim`, e.g. "16x32/64" (queries x keys / threads). */
export function prefillTileVariant(headDim: number, tile: PrefillTile): Variant<PrefillTile> {
  return {
    id: `${tile.bq}x${tile.bk}/${tile.wg}`,
    params: tile,
    problem: (device) => prefillTileProblem(headDim, tile, device.limits.maxComputeWorkgroupStorageSize),
  };
}

/**
 * Default prefill tile for a head dimension: 64 threads, 16 queries (8 for very wide heads) and the
 * most keys per step that fit `maxBytes` of workgroup memory. Within PORTABLE_WORKGROUP_BYTES:
 * headDim 128 -> 16x8, 96 -> 16x16, 64 -> 16x32, 16 -> 16x64. Null when nothing fits.
 */
export function defaultPrefillTile(headDim: number, maxBytes = PORTABLE_WORKGROUP_BYTES): PrefillTile | null {
  for (const bq of [16, 8]) {
    for (const bk of [64, 32, 16, 8]) {
      const t = { bq, bk, wg: PREFILL_WG };
      if (prefillTileProblem(headDim, t, maxBytes) === undefined) return t;
    }
  }
  return null;
}

/** Decode tiling: `rowGroups` groups of headDim/4 threads, `keysPerGroup` keys each per step. */
export interface DecodeTile {
  rowGroups: number;
  keysPerGroup: number;
}

/** Target threads per decode workgroup. */
const DECODE_THREADS = 128;

/** Default decode tile: as many row groups as fit 128 threads (headDim 128 -> 4, 64 -> 8), 8 keys each. */
export function defaultDecodeTile(headDim: number): DecodeTile {
  return { rowGroups: Math.max(1, Math.floor(DECODE_THREADS / (headDim / 4))), keysPerGroup: 8 };
}

/** Stable name of a decode tile, e.g. "r4.k8" (tuning caches and results). */
export function decodeTileId(t: DecodeTile): string {
  return `r${t.rowGroups}.k${t.keysPerGroup}`;
}

/** Why `tile` cannot run head dimension `headDim` on `device` (undefined: it can): threads and workgroup memory. */
function decodeTileProblem(device: GPUDevice, headDim: number, tile: DecodeTile): string | undefined {
  const s4 = headDim / 4;
  const wg = s4 * tile.rowGroups;
  const bk = tile.rowGroups * tile.keysPerGroup;
  const bytes = 4 * (bk * (s4 + 1) + bk + 4 * wg + 2 * tile.rowGroups);
  if (!(tile.rowGroups >= 1 && tile.keysPerGroup >= 1)) return 'row groups and keys per group must be positive';
  if (wg > device.limits.maxComputeInvocationsPerWorkgroup || wg > device.limits.maxComputeWorkgroupSizeX) {
    return `${wg} threads exceed this device's workgroup limits`;
  }
  if (bytes > device.limits.maxComputeWorkgroupStorageSize) return `${bytes} B of workgroup memory > ${device.limits.maxComputeWorkgroupStorageSize}`;
  return undefined;
}

/** The decode tile `tile` for head dimension `headDim`. */
export function decodeTileVariant(headDim: number, tile: DecodeTile): Variant<DecodeTile> {
  return { id: decodeTileId(tile), params: tile, problem: (device) => decodeTileProblem(device, headDim, tile) };
}

/**
 * Decode tiles an autotuner times for a head dimension, default first (distinct ids). The row groups of
 * a workgroup split the keys of one (sequence, head) and merge their online softmaxes at the end (a
 * split-K inside one dispatch): more groups suit long contexts, where few heads must still keep the GPU
 * busy; more keys per group mean fewer merges and barriers per key.
 */
export function decodeTileVariants(headDim: number): Variant<DecodeTile>[] {
  const d = defaultDecodeTile(headDim);
  const all = [
    d,
    { rowGroups: d.rowGroups * 2, keysPerGroup: 8 },
    { rowGroups: d.rowGroups, keysPerGroup: 4 },
    { rowGroups: d.rowGroups, keysPerGroup: 16 },
    { rowGroups: d.rowGroups * 2, keysPerGroup: 4 },
    { rowGroups: Math.max(1, d.rowGroups / 2), keysPerGroup: 16 },
  ];
  const seen = new Set<string>();
  const distinct = all.filter((t) => {
    const id = decodeTileId(t);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return distinct.map((t) => decodeTileVariant(headDim, t));
}
