/**
 * The board's submit page (submit.html, served by `npm run board`), opened by the bench page's "Submit to
 * board" button in a window of its own. It asks its opener for the result (board-link.ts), shows what it
 * received as text, and on the user's click posts it to this board's /api/results: same origin, so neither
 * page's Content-Security-Policy is loosened and the board grants no CORS. Each outcome is shown here and
 * sent back to the opener's origin.
 *
 * Nothing is sent without that click: any site can open this page and post it a result, and the submit
 * token remembered here (localStorage of the board's origin) must not go out on another site's behalf.
 * The page says which origin the result came from.
 */
import { adapterLabel, headlineLines } from '../result/formats';
import { type SubmitOutcome, isResultId, outcomeLine, submitText } from '../result/submit';
import { parseResultText, utf8Length } from '../schema/result';
import { OUTCOME, READY, RESULT, boardMessage } from './board-link';
import { append, clear, el, kvTable } from './dom';
import { recall, remember } from './remember';

/** localStorage key of the submit token that last worked on this board. */
export const SUBMIT_TOKEN_KEY = 'tokenbench.board.submitToken';

const app = document.getElementById('app') as HTMLElement;
clear(app);

const from = el('p', { id: 'submit-from', class: 'hint' }, 'Waiting for the bench page to send its result…');
const summary = el('div', { id: 'submit-summary' });
const tokenInput = el('input', { id: 'submit-token', type: 'password', autocomplete: 'off', value: recall('local', SUBMIT_TOKEN_KEY) ?? '' });
const sendBtn = el('button', { id: 'submit-send', class: 'primary', type: 'submit', disabled: true }, 'Submit to this board');
const form = el(
  'form',
  { id: 'submit-form', class: 'controls' },
  el('label', { for: 'submit-token' }, 'Submit token (when this board asks for one; remembered in this browser once it works)'),
  tokenInput,
  sendBtn,
);
const outcomeBox = el('div', { id: 'submit-outcome', role: 'status', 'aria-live': 'polite' });

append(
  app,
  el('section', { 'aria-labelledby': 'submit-h' }, el('h2', { id: 'submit-h' }, 'Submit a result'), from, summary, form, outcomeBox),
  el('p', { class: 'hint' }, el('a', { href: './' }, 'The board')),
);

/** The result received and who sent it; null until the opener has sent one. */
let received: { text: string; origin: string } | null = null;

function showOutcome(o: SubmitOutcome): void {
  clear(outcomeBox);
  if (o.ok) {
    const id = isResultId(o.id) ? o.id : '';
    append(
      outcomeBox,
      el(
        'div',
        { class: 'notice info', id: 'submit-ok' },
        o.created ? 'Stored on the board as ' : 'Already on the board as ',
        id ? el('a', { href: `api/results/${id}` }, id) : o.id,
        '. ',
        el('a', { href: './' }, 'Open the board'),
      ),
    );
    return;
  }
  const hint =
    o.status === 401 ? ' This board needs a submit token: enter it above and submit again.' : o.status === 403 ? ' Check the token above and submit again.' : '';
  append(outcomeBox, el('div', { class: 'notice error', id: 'submit-error', role: 'alert' }, `Not submitted: ${outcomeLine(o)}.${hint}`));
}

/** Shows the outcome and tells the opener, at the origin the result came from. */
function report(o: SubmitOutcome): void {
  showOutcome(o);
  if (received && window.opener) (window.opener as Window).postMessage({ type: OUTCOME, outcome: o }, received.origin);
}

function receive(text: string, origin: string): void {
  received = { text, origin };
  from.textContent = `Sent by the page at ${origin}. Nothing goes to the board until you press "Submit to this board".`;
  const parsed = parseResultText(text);
  if (!parsed.ok) {
    report({ ok: false, status: null, error: `not a valid result: ${parsed.error}` });
    return;
  }
  const r = parsed.result;
  const lines = headlineLines(r);
  append(
    summary,
    kvTable([
      ['Device', adapterLabel(r)],
      ['Runtime', r.runtime.kind],
      ['Suite', `${r.config.suite} (${r.status})`],
      ['Started', r.startedAt],
      ['Workloads', lines.length ? lines.map((l) => l.trim()).join('; ') : 'none'],
      ['Size', `${utf8Length(text)} bytes`],
    ]),
  );
  sendBtn.disabled = false;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!received) return;
  const { text } = received;
  const token = tokenInput.value.trim() || null;
  sendBtn.disabled = true;
  clear(outcomeBox);
  append(outcomeBox, el('p', { class: 'hint' }, 'Submitting…'));
  // This page's folder: the board's address, also behind a reverse proxy's path prefix.
  void submitText(text, { url: new URL('./', location.href).href, token })
    .then((o) => {
      if (o.ok && token) remember('local', SUBMIT_TOKEN_KEY, token);
      if (!o.ok && o.status === 403 && token === recall('local', SUBMIT_TOKEN_KEY)) remember('local', SUBMIT_TOKEN_KEY, null);
      report(o);
    })
    .finally(() => (sendBtn.disabled = false));
});

window.addEventListener('message', (ev) => {
  // Only the window that opened this one, and only its first result: a later one would change what the
  // user has already looked at. An opaque origin ("null": a file:// page) could not be answered.
  if (received || !window.opener || ev.source !== window.opener || ev.origin === 'null') return;
  const m = boardMessage(ev.data);
  if (m?.type === RESULT) receive(m.text, ev.origin);
});

if (window.opener) {
  // READY carries nothing, so it may go to whatever origin the opener has.
  (window.opener as Window).postMessage({ type: READY }, '*');
} else {
  from.textContent = 'No result to submit: this page is opened by the bench page\'s "Submit to board" button, which hands it the result.';
}
