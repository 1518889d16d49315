/**
 * The board's price table: one row per accelerator (the device as the board names it), set by the board's
 * owner, and the leaderboard's cost figures at those prices. The prices are the cost model's inputs and
 * every figure comes from src/cost/model.ts: the board has no cost formula of its own.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { COST_MAX, DEFAULT_MIX, checkCostInputs } from '../../src/cost/inputs';
import { figuresAt, tokPerSecPerWattOfJoules } from '../../src/cost/model';
import type { BoardPrice, BoardPriceInput, CostSource } from '../../src/result/leaderboard';
import { type CostInputs, firstIssue } from '../../src/schema/result';
import type { BoardDb } from './database';

/** Longest device key accepted: device names are a few adapter strings joined (deviceName). */
export const MAX_DEVICE_LENGTH = 500;

/** PUT /api/prices/:device's body: the cost model's bounds, but a board price must be positive (0 $/h or 0 W prices nothing). */
const PriceInputSchema = z.strictObject({
  hourlyPrice: z.number().positive().max(COST_MAX['hourly-price']),
  boardPowerW: z.number().positive().max(COST_MAX['board-power']),
  electricityPrice: z.number().nonnegative().max(COST_MAX['electricity-price']).nullable().optional(),
});

/** The cost model's inputs of a board price (the default token mix: the board shows no blended price). */
export function priceInputs(p: BoardPriceInput): CostInputs {
  const i: CostInputs = { hourlyPrice: p.hourlyPrice, boardPowerW: p.boardPowerW, mix: { ...DEFAULT_MIX } };
  if (p.electricityPrice !== null && p.electricityPrice !== undefined) i.electricityPrice = p.electricityPrice;
  return i;
}

/** Validates a price body; the error names the field. */
export function parsePriceInput(data: unknown): { ok: true; value: BoardPriceInput } | { ok: false; error: string } {
  const parsed = PriceInputSchema.safeParse(data);
  if (!parsed.success) return { ok: false, error: firstIssue(parsed.error, 'price') };
  const rule = checkCostInputs(priceInputs(parsed.data));
  return rule ? { ok: false, error: rule } : { ok: true, value: parsed.data };
}

/** A device key from a request path segment; null when it is not one. */
export function deviceKey(segment: string): string | null {
  let device: string;
  try {
    device = decodeURIComponent(segment);
  } catch {
    return null;
  }
  return device.trim() && device.length <= MAX_DEVICE_LENGTH ? device : null;
}

type PriceRow = { device: string; hourly_price: number; board_power_w: number; electricity_price: number | null; updated_at: Date };

const priceOf = (r: PriceRow): BoardPrice => ({
  device: r.device,
  hourlyPrice: r.hourly_price,
  boardPowerW: r.board_power_w,
  electricityPrice: r.electricity_price,
  updatedAt: r.updated_at.toISOString(),
});

const COLUMNS = ['device', 'hourly_price', 'board_power_w', 'electricity_price', 'updated_at'] as const;

export async function listPrices(db: BoardDb): Promise<BoardPrice[]> {
  return (await db.selectFrom('prices').select(COLUMNS).orderBy('device').execute()).map(priceOf);
}

/** Sets a device's price; `created` is false when it replaced one. */
export async function putPrice(db: BoardDb, device: string, p: BoardPriceInput): Promise<{ price: BoardPrice; created: boolean }> {
  const values = { hourly_price: p.hourlyPrice, board_power_w: p.boardPowerW, electricity_price: p.electricityPrice ?? null, updated_at: new Date().toISOString() };
  const row = await db
    .insertInto('prices')
    .values({ device, ...values })
    .onConflict((oc) => oc.column('device').doUpdateSet(values))
    // xmax is 0 on a row this statement inserted, the updating transaction's id on one it updated (PostgreSQL).
    .returning([...COLUMNS, sql<boolean>`xmax = 0`.as('created')])
    .executeTakeFirstOrThrow();
  return { price: priceOf(row), created: row.created };
}

/** Removes a device's price; false when it had none. */
export async function deletePrice(db: BoardDb, device: string): Promise<boolean> {
  const r = await db.deleteFrom('prices').where('device', '=', device).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** A leaderboard row's cost figures: the board's price for its device when there is one, else the run's. */
export interface RowCost {
  usdPer1M: number | null;
  joulesPerToken: number | null;
  tokPerSecPerW: number | null;
  costSource: CostSource | null;
}

/** `tokPerSec` is the test the run's figures belong to (the best-batch decode). */
export function rowCost(tokPerSec: number | null, run: { usdPer1M: number | null; joulesPerToken: number | null }, price: BoardPriceInput | null): RowCost {
  if (price && tokPerSec !== null) {
    const f = figuresAt(priceInputs(price), tokPerSec);
    return { usdPer1M: f.usdPer1M, joulesPerToken: f.joulesPerToken, tokPerSecPerW: f.tokPerSecPerW, costSource: 'board' };
  }
  const has = run.usdPer1M !== null || run.joulesPerToken !== null;
  return { ...run, tokPerSecPerW: tokPerSecPerWattOfJoules(run.joulesPerToken), costSource: has ? 'run' : null };
}
