/** The board's command lines: `npm run board`, `submit`, `run --submit`; and the per-client rate limit. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_BOARD_PORT, parseBoardArgs } from '../../bench/board/main';
import { tokenBuckets } from '../../bench/board/rate-limit';
import { parseArgs } from '../../bench/args';
import { parseSubmitArgs } from '../../bench/submit';
import { resultsEndpoint } from '../../src/result/submit';
import { ENGINES, OPEN_TIMEOUT_MS, type TestBoard, testBoard } from './board-helpers';

describe('npm run board', () => {
  test('defaults: loopback, the default port, the embedded database under $XDG_DATA_HOME, tokens from the environment', () => {
    const p = parseBoardArgs([], { XDG_DATA_HOME: '/data', TOKENBENCH_BOARD_SUBMIT_TOKEN: 's', TOKENBENCH_BOARD_READ_TOKEN: 'r', TOKENBENCH_BOARD_OWNER_TOKEN: 'o' });
    expect(p).toMatchObject({
      kind: 'board',
      options: { host: '127.0.0.1', port: DEFAULT_BOARD_PORT, engine: { kind: 'embedded', dir: '/data/tokenbench/board' }, submitToken: 's', readToken: 'r', ownerToken: 'o' },
    });
    expect(parseBoardArgs([], {})).toMatchObject({ options: { ownerToken: null } });
  });

  test('options over the environment; PostgreSQL by URL', () => {
    const p = parseBoardArgs(['--port', '0', '--host', '0.0.0.0', '--database', 'postgres://board@db:5432/tb', '--submit-token', 'x', '--owner-token', 'y', '--rate', '2', '--burst', '5'], {
      TOKENBENCH_BOARD_SUBMIT_TOKEN: 'env',
      TOKENBENCH_BOARD_OWNER_TOKEN: 'env',
    });
    expect(p).toMatchObject({
      kind: 'board',
      options: { host: '0.0.0.0', port: 0, engine: { kind: 'postgres', url: 'postgres://board@db:5432/tb' }, submitToken: 'x', readToken: null, ownerToken: 'y', rateLimit: { rate: 2, burst: 5 } },
    });
  });

  test.each([
    [['--port', '70000'], /--port: expected a port number/],
    [['--database', 'mysql://x'], /--database: expected a postgres/],
    [['--data', 'd', '--database', 'postgres://x/y'], /give one/],
    [['--rate', '-1'], /--rate: expected a number/],
    [['--bogus'], /unknown option "--bogus"/],
  ])('usage error %j', (argv, message) => {
    const p = parseBoardArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });
});

describe('submit and run --submit', () => {
  test('submit: files, board, token from the option or the environment', () => {
    expect(parseSubmitArgs(['a.json', 'b.json', '--to', 'http://b:8787'], { TOKENBENCH_BOARD_SUBMIT_TOKEN: 'e' })).toEqual({
      kind: 'submit', files: ['a.json', 'b.json'], target: { url: 'http://b:8787', token: 'e' },
    });
    expect(parseSubmitArgs(['a.json', '--to', 'http://b', '--token', 't'], { TOKENBENCH_BOARD_SUBMIT_TOKEN: 'e' })).toMatchObject({ target: { token: 't' } });
  });

  test('run --submit URL --submit-token T', () => {
    expect(parseArgs(['--submit', 'https://board.example/', '--submit-token', 't'])).toMatchObject({ kind: 'run', options: { submit: 'https://board.example/', submitToken: 't' } });
    expect(parseArgs([])).toMatchObject({ kind: 'run', options: { submit: null, submitToken: null } });
  });

  test.each([
    [['--submit', 'board'], /--submit: not a URL/],
    [['--submit-token', 't'], /--submit-token needs --submit URL/],
  ])('run %j is a usage error', (argv, message) => {
    const p = parseArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  test.each([
    ['http://b:8787', 'http://b:8787/api/results'],
    ['http://b:8787/', 'http://b:8787/api/results'],
    ['https://x.example/team/board/', 'https://x.example/team/board/api/results'],
    ['http://b/api/results', 'http://b/api/results'],
  ])('the endpoint of %s is %s', (board, endpoint) => {
    expect(resultsEndpoint(board)).toBe(endpoint);
  });
});

describe('rate limit', () => {
  test('a token bucket per client: the burst, then the rate; other clients unaffected', () => {
    let now = 0;
    const limiter = tokenBuckets({ rate: 2, burst: 3 }, () => now);
    expect([1, 2, 3].map(() => limiter.take('a'))).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBeCloseTo(0.5);
    expect(limiter.take('b')).toBe(0);
    now = 500;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeCloseTo(0.5);
  });

  describe.each(ENGINES)('on %s', (engine) => {
    let t: TestBoard;
    beforeAll(async () => {
      t = await testBoard(engine, { rateLimit: { rate: 0.5, burst: 2 } });
    }, OPEN_TIMEOUT_MS);
    afterAll(async () => t?.close());

    test('past the burst the board answers 429 with Retry-After', async () => {
      const statuses = [];
      let last: Response | null = null;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${t.url}/api/results`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last?.headers.get('retry-after')).toBe('2');
      expect(await last?.json()).toEqual({ error: 'too many requests: slow down' });
    });
  });
});
