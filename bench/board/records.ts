/**
 * What the board stores of a result: its exact bytes under their SHA-256, the columns it is filtered by,
 * and one row per token figure for the leaderboard. The figures are src/result/figures.ts's: the board
 * has no figure definition of its own. Pure (node:crypto only).
 */
import { createHash } from 'node:crypto';
import { deviceName, isSoftware, runtimeName, tokenFigures } from '../../src/result/figures';
import type { BenchResult } from '../../src/schema/result';

/** A result's id on the board: SHA-256 of the bytes received, lower-case hex. */
export function contentHash(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The results table's row: the stored text and the columns lists filter on. */
export interface ResultRow {
  id: string;
  body: string;
  size: number;
  tool_version: string;
  tool_commit: string;
  suite: string;
  status: string;
  started_at: string;
  finished_at: string;
  device: string;
  device_vendor: string | null;
  device_architecture: string | null;
  device_description: string | null;
  software: boolean;
  runtime_kind: string;
  runtime: string;
  user_agent: string | null;
  verification: string;
}

/** One token figure of a result (the key: result, workload, test). */
export interface FigureRow {
  result_id: string;
  workload: string;
  test: string;
  model: string;
  format: string;
  kind: string;
  batch: number;
  depth: number;
  prompt_len: number;
  tokens: number;
  tok_per_sec: number;
  source: string;
  efficiency: number | null;
  ttft_ms: number | null;
  tpot_ms: number | null;
  of_webgpu: number | null;
  of_native: number | null;
  usd_per_1m: number | null;
  joules_per_token: number | null;
  verification: string;
}

/** The rows of a validated result whose text (the bytes received, decoded) is `body`. */
export function resultRecord(body: string, r: BenchResult): { result: ResultRow; figures: FigureRow[] } {
  const id = contentHash(body);
  const a = r.environment?.adapter;
  const result: ResultRow = {
    id,
    body,
    size: Buffer.byteLength(body),
    tool_version: r.tool.version,
    tool_commit: r.tool.commit,
    suite: r.config.suite,
    status: r.status,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    device: deviceName(r),
    device_vendor: a?.vendor || null,
    device_architecture: a?.architecture || null,
    device_description: a?.description || null,
    software: isSoftware(r),
    runtime_kind: r.runtime.kind,
    runtime: runtimeName(r),
    user_agent: r.runtime.userAgent ?? null,
    verification: r.verification.state,
  };
  const figures = tokenFigures(r).map((f): FigureRow => ({
    result_id: id,
    workload: f.workload,
    test: f.test,
    model: f.model,
    format: f.format,
    kind: f.kind,
    batch: f.batch,
    depth: f.depth,
    prompt_len: f.promptLen,
    tokens: f.tokens,
    tok_per_sec: f.tokPerSec,
    source: f.source,
    efficiency: f.efficiency,
    ttft_ms: f.ttftMs,
    tpot_ms: f.tpotMs,
    of_webgpu: f.ofWebgpu,
    of_native: f.ofNative,
    usd_per_1m: f.cost?.usdPer1M ?? null,
    joules_per_token: f.cost?.joulesPerToken ?? null,
    verification: f.verification,
  }));
  // Two tests of one workload with the same name would collide on the key: keep the first.
  const seen = new Set<string>();
  return { result, figures: figures.filter((f) => !seen.has(`${f.workload}\0${f.test}`) && !!seen.add(`${f.workload}\0${f.test}`)) };
}
