/**
 * Sending a result to a results board (bench/board): POST <board>/api/results with the result file's exact
 * bytes, so the board's id is the SHA-256 of the file. Global fetch only, no DOM and no Node module: the
 * CLI, the Node runner's bundle and the board's own submit page (src/ui/board-submit.ts) all submit
 * through it, and the bench page checks a board address with the same rule as --submit.
 */

/** Where results go: the board's address and its submit token (null: none). */
export interface SubmitTarget {
  url: string;
  token: string | null;
}

/** The environment variable a submit token is also read from. */
export const SUBMIT_TOKEN_ENV = 'TOKENBENCH_BOARD_SUBMIT_TOKEN';

/** How long one submission may take. */
export const SUBMIT_TIMEOUT_MS = 60_000;

/** Whether a string has the shape of a board result id: the SHA-256 of the result's bytes, lower-case hex. */
export function isResultId(id: string): boolean {
  return /^[0-9a-f]{64}$/.test(id);
}

/** `http://board:8787`, `http://board:8787/` or the endpoint itself → the endpoint. */
export function resultsEndpoint(board: string): string {
  const u = new URL(board);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/api/results') ? path : `${path}/api/results`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** A board address as `--submit` / `--to` accept it: http(s), no credentials; returns the problem or null. */
export function boardUrlProblem(text: string): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `not a URL: "${text}"`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `expected an http or https URL, got "${text}"`;
  if (u.username || u.password) return `put no credentials in the URL: the token goes in --submit-token / --token or $${SUBMIT_TOKEN_ENV} (on the page: in the board's submit window)`;
  return null;
}

export type SubmitOutcome =
  | { ok: true; id: string; created: boolean }
  /** `status`: the board's HTTP status; null when it could not be reached. */
  | { ok: false; status: number | null; error: string };

/** Why fetch failed, in one line: the system error under undici's "fetch failed". */
function networkError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${SUBMIT_TIMEOUT_MS / 1000} s`;
  const code = err.cause?.code;
  const message = err.cause?.message?.trim();
  if (code && message && !message.includes(code)) return `${code}: ${message}`;
  return message || code || err.message;
}

/** Posts one result text; never throws. */
export async function submitText(text: string, target: SubmitTarget): Promise<SubmitOutcome> {
  let endpoint: string;
  try {
    endpoint = resultsEndpoint(target.url);
  } catch {
    return { ok: false, status: null, error: `not a board URL: "${target.url}"` };
  }
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(target.token ? { authorization: `Bearer ${target.token}` } : {}) },
      body: text,
      signal: AbortSignal.timeout(SUBMIT_TIMEOUT_MS),
    });
  } catch (e) {
    return { ok: false, status: null, error: `cannot reach the board at ${endpoint}: ${networkError(e)}` };
  }
  let body: unknown = null;
  const raw = await res.text().catch(() => '');
  try {
    body = JSON.parse(raw);
  } catch {
    // not JSON: reported below with the status
  }
  const fields = (body ?? {}) as { id?: unknown; error?: unknown };
  if ((res.status === 200 || res.status === 201) && typeof fields.id === 'string') return { ok: true, id: fields.id, created: res.status === 201 };
  const message = typeof fields.error === 'string' ? fields.error : raw.slice(0, 200).replace(/\s+/g, ' ') || res.statusText;
  const retry = res.headers.get('retry-after');
  return { ok: false, status: res.status, error: `the board refused it (${res.status}): ${message}${retry ? ` (retry after ${retry} s)` : ''}` };
}

/** One line about an outcome: `stored on the board as <id>` and the like. */
export function outcomeLine(o: SubmitOutcome): string {
  if (!o.ok) return o.error;
  return o.created ? `stored on the board as ${o.id}` : `already on the board as ${o.id}`;
}
