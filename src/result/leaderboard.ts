/**
 * The results board's answers as the board page reads them: one home for their shapes, shared by the
 * server (bench/board/store.ts) and the page (src/ui/board.ts). Types only.
 */

/**
 * One leaderboard row: a result's best figures for one model × format. Decode at batch 1 is the fastest
 * batch-1 decode test at the shallowest depth the run measured (as the cost block's decodeBatch1); its % of
 * bound and its llama.cpp ratios go with it. The best decode is the fastest decode at any batch at that depth,
 * with its batch, and $/1M tokens and J/token are that test's: the tests of the headline view
 * (workloadHeadlines in src/result/figures.ts).
 */
export interface LeaderRow {
  id: string;
  device: string;
  vendor: string | null;
  architecture: string | null;
  software: boolean;
  runtime: string;
  startedAt: string;
  decodeB1: number | null;
  decodeBest: number | null;
  bestBatch: number | null;
  prefill: number | null;
  efficiency: number | null;
  ofWebgpu: number | null;
  ofNative: number | null;
  usdPer1M: number | null;
  joulesPerToken: number | null;
}

/** GET /api/leaderboard's answer. */
export interface Leaderboard {
  model: string;
  format: string;
  rows: LeaderRow[];
}

/** One model × format the board has figures for, with how many results have it (GET /api/workloads). */
export interface WorkloadCount {
  model: string;
  format: string;
  results: number;
}
