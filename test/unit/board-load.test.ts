/** The board under load, on both engines: 1,000 distinct results submitted 32 at a time on loopback, every one kept. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pool } from '../../bench/board/bench-list';
import { contentHash } from '../../bench/board/records';
import { type SubmitOutcome, submitText } from '../../src/result/submit';
import { ENGINES, OPEN_TIMEOUT_MS, type TestBoard, boardResult, testBoard } from './board-helpers';

const COUNT = 1000;
const POOL = 32;

describe.each(ENGINES)('on %s', (engine) => {
  let t: TestBoard;
  beforeAll(async () => {
    t = await testBoard(engine, { submitToken: 'load' });
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => t?.close());

  test(`${COUNT} distinct results, ${POOL} at a time: all stored, ids are their content hashes`, async () => {
    const texts = Array.from({ length: COUNT }, (_, i) => JSON.stringify(boardResult({ decode: 10 + i, commit: i.toString(16).padStart(40, '0') })));
    const t0 = performance.now();
    const outcomes: SubmitOutcome[] = await pool(texts, POOL, (text) => submitText(text, { url: t.url, token: 'load' }));
    const ms = performance.now() - t0;
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes.map((o) => (o.ok ? o.id : null))).toEqual(texts.map((x) => contentHash(x)));
    expect(outcomes.every((o) => o.ok && o.created)).toBe(true);
    const stored = await t.db.selectFrom('results').select(['id', 'body']).execute();
    expect(stored).toHaveLength(COUNT);
    expect(new Set(stored.map((r) => contentHash(r.body)))).toEqual(new Set(texts.map((x) => contentHash(x))));
    expect(stored.every((r) => contentHash(r.body) === r.id)).toBe(true);
    process.stderr.write(`board load (${engine}): ${COUNT} submissions, ${POOL} at a time, in ${(ms / 1000).toFixed(1)} s\n`);
  }, 120_000);
});
