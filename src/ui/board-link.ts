/**
 * The bench page ↔ board submit window conversation. The bench page and a results board are different
 * origins, each with a same-origin-only Content-Security-Policy (connect-src 'self') and no CORS, so the
 * bench page never talks to the board's API itself: it opens the board's own submit page (submit.html)
 * and hands it the result text with postMessage; that page posts it same-origin and answers with the
 * outcome. Three messages, each checked on arrival for its sender window and origin:
 *
 *   board → opener   { type: READY }                      "send me the result" (carries nothing: sent to any origin)
 *   opener → board   { type: RESULT, text }               the result's JSON text, to the board's origin only
 *   board → opener   { type: OUTCOME, outcome }           each submission's outcome, to the opener's origin only
 */
import type { SubmitOutcome } from '../result/submit';

export const READY = 'tokenbench-board-ready';
export const RESULT = 'tokenbench-board-result';
export const OUTCOME = 'tokenbench-board-outcome';

/** The board's submit page, relative to the board's address. */
export const SUBMIT_PAGE = 'submit.html';

/** The window name the bench page opens the board's submit page in (one window, reused). */
export const SUBMIT_WINDOW = 'tokenbench-board-submit';

export type BoardMessage = { type: typeof READY } | { type: typeof RESULT; text: string } | { type: typeof OUTCOME; outcome: SubmitOutcome };

/** `data` as a message of this conversation, or null for anything else (other scripts post messages too). */
export function boardMessage(data: unknown): BoardMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as { type?: unknown; text?: unknown; outcome?: unknown };
  if (m.type === READY) return { type: READY };
  if (m.type === RESULT && typeof m.text === 'string') return { type: RESULT, text: m.text };
  if (m.type === OUTCOME && isOutcome(m.outcome)) return { type: OUTCOME, outcome: m.outcome };
  return null;
}

function isOutcome(o: unknown): o is SubmitOutcome {
  if (typeof o !== 'object' || o === null) return false;
  const x = o as Record<string, unknown>;
  if (x['ok'] === true) return typeof x['id'] === 'string' && typeof x['created'] === 'boolean';
  return x['ok'] === false && typeof x['error'] === 'string' && (x['status'] === null || typeof x['status'] === 'number');
}

/** The board's submit page for a board address (http or https; a path prefix is kept). */
export function submitPageUrl(board: string): URL {
  const u = new URL(board);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${SUBMIT_PAGE}`;
  u.search = '';
  u.hash = '';
  return u;
}
