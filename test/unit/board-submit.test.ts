/** Getting results to a board: `submit` for existing files, and `run --submit` where every run ends (bench/ending.ts). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { contentHash } from '../../bench/board/records';
import { countResults } from '../../bench/board/store';
import { type Ending, SUBMIT_FAILED_EXIT, finishResult } from '../../bench/ending';
import { submitMain } from '../../bench/submit';
import { formats } from '../../src/result/formats';
import { ENGINES, OPEN_TIMEOUT_MS, type TestBoard, boardResult, testBoard } from './board-helpers';

const TOKEN = 'tok';
describe.each(ENGINES)('on %s', (engine) => {
  let t: TestBoard;
  let dir: string;
  /** A loopback address nothing listens on. */
  let deadUrl: string;

  beforeAll(async () => {
    t = await testBoard(engine, { submitToken: TOKEN });
    dir = mkdtempSync(join(tmpdir(), 'tokenbench-submit-'));
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((ok) => probe.close(() => ok()));
    deadUrl = `http://127.0.0.1:${port}`;
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => t?.close());

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  async function submit(argv: string[], env: NodeJS.ProcessEnv = {}) {
    let out = '';
    let err = '';
    const code = await submitMain(argv, env, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  }

  describe('npm run bench -- submit', () => {
    test('sends each file as it is: stored, then already there; exit 0', async () => {
      const a = file('a.json', formats.json(boardResult({ commit: '1'.repeat(40) })));
      const b = file('b.json', formats.json(boardResult({ commit: '2'.repeat(40) })));
      const first = await submit([a, b, '--to', t.url, '--token', TOKEN]);
      expect(first).toMatchObject({ code: 0, err: '' });
      expect(first.out).toBe(`${a}: stored on the board as ${contentHash(readFileSync(a))}\n${b}: stored on the board as ${contentHash(readFileSync(b))}\n`);
      const again = await submit([a, '--to', `${t.url}/`], { TOKENBENCH_BOARD_SUBMIT_TOKEN: TOKEN });
      expect(again).toMatchObject({ code: 0, out: `${a}: already on the board as ${contentHash(readFileSync(a))}\n` });
    });

    test('without the token: the board refuses it, with its message; exit 1', async () => {
      const a = file('c.json', formats.json(boardResult({ commit: '3'.repeat(40) })));
      const r = await submit([a, '--to', t.url]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`tokenbench submit: ${a}: the board refused it (401): submitting needs a token: Authorization: Bearer <token>\n`);
    });

    test('an invalid file is reported and not sent; the valid ones are; exit 1', async () => {
      const before = await countResults(t.db);
      const bad = file('bad.json', JSON.stringify({ ...boardResult(), schemaVersion: 99 }));
      const good = file('good.json', formats.json(boardResult({ commit: '4'.repeat(40) })));
      const r = await submit([bad, join(dir, 'missing.json'), good, '--to', t.url, '--token', TOKEN]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`${bad}: invalid result at \\$\\.schemaVersion`));
      expect(r.err).toMatch(/missing\.json: cannot read \(ENOENT\)/);
      expect(r.out).toMatch(/good\.json: stored on the board as [0-9a-f]{64}/);
      expect(await countResults(t.db)).toBe(before + 1);
    });

    test('a board that is down: said once, the rest not sent; exit 1', async () => {
      const a = file('d.json', formats.json(boardResult({ commit: '5'.repeat(40) })));
      const r = await submit([a, a, '--to', deadUrl]);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`tokenbench submit: ${a}: cannot reach the board at ${deadUrl}/api/results: connect ECONNREFUSED ${deadUrl.slice(7)}\ntokenbench submit: 1 more file(s) not sent\n`);
    });

    test.each([
      [[], /needs at least one result file/],
      [['a.json'], /needs --to URL/],
      [['a.json', '--to', 'ftp://x'], /--to: expected an http or https URL/],
      [['a.json', '--to', 'http://u:p@x'], /no credentials in the URL/],
      [['a.json', '--to', 'http://x', '--colour'], /unknown option "--colour"/],
    ])('usage error %j: exit 2', async (argv, message) => {
      const r = await submit(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    });
  });

  describe('run --submit (finishResult)', () => {
    const ending = (out: string, url: string, token: string | null = TOKEN): Ending => ({
      out, outputFormats: [], baseline: null, maxRegression: 0.05, alpha: 0.05, allow: [], tuneCache: null, submit: { url, token },
    });

    test('the written file is submitted; exit 0', async () => {
      const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const out = join(dir, 'run.json');
        const code = await finishResult(boardResult({ commit: '6'.repeat(40) }), ending(out, t.url));
        expect(code).toBe(0);
        expect(errors.mock.calls.map((c) => String(c[0])).join('')).toContain(`tokenbench: stored on the board as ${contentHash(readFileSync(out))}`);
      } finally {
        quiet.mockRestore();
        errors.mockRestore();
      }
    });

    test.each([
      ['the board is down', () => deadUrl, TOKEN, /--submit failed: cannot reach the board at .*ECONNREFUSED [^;]*; the result stays in /],
      ['the token is wrong', () => t.url, 'wrong', /--submit failed: the board refused it \(403\): wrong token for submitting; the result stays in /],
    ])('%s: reported, the file stays, exit 3', async (_name, url, token, message) => {
      const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const out = join(dir, `failed-${token}.json`);
        const code = await finishResult(boardResult({ commit: '7'.repeat(40) }), ending(out, url(), token));
        expect(code).toBe(SUBMIT_FAILED_EXIT);
        expect(errors.mock.calls.map((c) => String(c[0])).join('')).toMatch(message);
        expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ schema: 'tokenbench/result' });
      } finally {
        quiet.mockRestore();
        errors.mockRestore();
      }
    });
  });
});
