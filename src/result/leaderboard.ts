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
  /** At the board's price for this device when it has one (costSource 'board'), else the run's own. */
  usdPer1M: number | null;
  joulesPerToken: number | null;
  /** Best-batch decode tok/s per W of board power, at the same power as joulesPerToken. */
  tokPerSecPerW: number | null;
  /** Where usdPer1M and joulesPerToken come from: the board's price table, the run's cost inputs, neither. */
  costSource: CostSource | null;
  /** The run's own figures, whatever the board's prices. */
  runUsdPer1M: number | null;
  runJoulesPerToken: number | null;
}

export type CostSource = 'board' | 'run';

/**
 * One row of the board's price table (GET /api/prices): what an accelerator costs to run on this board,
 * as the cost model's inputs (src/cost/model.ts): a rental price per hour, the board power, and optionally
 * electricity per kWh on top of the hourly price.
 */
export interface BoardPrice {
  /** The device as the board names it (a result's `device`, src/result/figures.ts deviceName). */
  device: string;
  hourlyPrice: number;
  boardPowerW: number;
  electricityPrice: number | null;
  updatedAt: string;
}

/** PUT /api/prices/:device's body. */
export type BoardPriceInput = Pick<BoardPrice, 'hourlyPrice' | 'boardPowerW'> & { electricityPrice?: number | null };

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
