/**
 * Reading the results board from its own pages (the board page, and the compare view when it opens board
 * results): same-origin requests, with the board's read token when one was entered, and the owner's edits
 * of the price table with the owner token. Tokens are kept in this tab's sessionStorage only, and sent only
 * to this page's own origin.
 */
import { recall, remember } from './remember';

/** sessionStorage key of the read token a reader entered on the board page. */
export const READ_TOKEN_KEY = 'tokenbench.board.readToken';

/** sessionStorage key of the owner token (editing the price table) entered on the board page. */
export const OWNER_TOKEN_KEY = 'tokenbench.board.ownerToken';

export const readToken = (): string | null => recall('session', READ_TOKEN_KEY);
export const setReadToken = (token: string | null): void => remember('session', READ_TOKEN_KEY, token);
export const ownerToken = (): string | null => recall('session', OWNER_TOKEN_KEY);
export const setOwnerToken = (token: string | null): void => remember('session', OWNER_TOKEN_KEY, token);

/** A URL of this page's origin, or null for any other origin (or no URL at all). */
export function sameOrigin(href: string): URL | null {
  try {
    const u = new URL(href, location.href);
    return u.origin === location.origin ? u : null;
  } catch {
    return null;
  }
}

/** GET a same-origin URL of the board, with the read token when there is one. */
export function boardGet(url: URL): Promise<Response> {
  const token = readToken();
  return fetch(url, { credentials: 'same-origin', headers: token ? { authorization: `Bearer ${token}` } : {} });
}

/** PUT (a JSON body) or DELETE a same-origin URL of the board, with the owner token. */
export function boardEdit(url: URL, method: 'PUT' | 'DELETE', body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = ownerToken();
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, { method, credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The board's error message of a failed answer ({ error }), else the HTTP status. */
export async function boardError(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string') return `${res.status}: ${body.error}`;
  } catch {
    // not the board's JSON
  }
  return `HTTP ${res.status}`;
}

