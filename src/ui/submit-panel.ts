/**
 * The bench page's "Submit to board": a board address (remembered in this browser) and a button that opens
 * the board's own submit page in a window and hands it the result there (board-link.ts). The bench page
 * never sends anything to the board itself, so its same-origin Content-Security-Policy stays as it is.
 * Whatever happens over there, the result shown here is left alone: a failure is reported, and Export JSON
 * still has it.
 */
import { boardUrlProblem, isResultId, outcomeLine, resultsEndpoint } from '../result/submit';
import { OUTCOME, READY, RESULT, SUBMIT_WINDOW, boardMessage, submitPageUrl } from './board-link';
import { append, clear, el } from './dom';
import { recall, remember } from './remember';

/** localStorage key of the board address last submitted to. */
export const BOARD_URL_KEY = 'tokenbench.board.url';

/** How long the board's submit page may take to load and say it is ready. */
export const READY_TIMEOUT_MS = 30_000;

/** How often the page looks whether the board's window was closed (there is no event for it). */
const CLOSED_POLL_MS = 500;

/** Said with every failure, so nobody fears for the run. */
const KEPT = 'The result stays on this page: Export JSON still saves it.';

export interface SubmitPanel {
  /** The address field, the button and the status line, for the Run section's controls. */
  element: HTMLElement;
  setEnabled(on: boolean): void;
}

/** `resultText` gives the JSON text of the result shown (what Export JSON saves), or null when there is none. */
export function createSubmitPanel(resultText: () => string | null): SubmitPanel {
  const urlInput = el('input', { id: 'board-url', type: 'url', placeholder: 'http://board.example:8787', size: '32', value: recall('local', BOARD_URL_KEY) ?? '', 'aria-label': 'Board address' });
  const button = el('button', { id: 'submit-board', disabled: true }, 'Submit to board');
  const status = el('div', { id: 'board-submit-status', role: 'status', 'aria-live': 'polite' });
  const element = el(
    'div',
    { id: 'board-submit' },
    el('div', { class: 'controls' }, el('label', { for: 'board-url' }, 'Results board:'), urlInput, button),
    status,
  );

  /** Ends the conversation with the board window in progress, if any. */
  let endSession: () => void = () => undefined;

  function say(kind: 'error' | 'warn' | 'info', ...parts: Array<Node | string>): void {
    clear(status);
    append(status, el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : undefined }, ...parts));
  }

  button.addEventListener('click', () => {
    const text = resultText();
    if (text === null) return;
    endSession();
    const board = urlInput.value.trim();
    const problem = board ? boardUrlProblem(board) : 'give the board\'s address, such as http://board.example:8787';
    if (problem) return say('error', `Board address: ${problem}.`);
    remember('local', BOARD_URL_KEY, board);
    const page = submitPageUrl(board);
    const origin = page.origin;
    const win = window.open(page.href, SUBMIT_WINDOW);
    if (!win) return say('error', `The browser did not open the board's window (pop-ups blocked?): allow pop-ups for this page and press Submit to board again. ${KEPT}`);
    say('info', `Opening the board's submit page at ${page.href}…`);

    let ready = false;
    let done = false;
    let lastLine = '';
    const onMessage = (ev: MessageEvent) => {
      // Only the window opened here, showing a page of the board's origin.
      if (ev.source !== win || ev.origin !== origin) return;
      const m = boardMessage(ev.data);
      if (m?.type === READY) {
        ready = true;
        win.postMessage({ type: RESULT, text }, origin);
        say('info', 'The board\'s window has the result: check it there and press "Submit to this board".');
      } else if (m?.type === OUTCOME) {
        const o = m.outcome;
        lastLine = outcomeLine(o);
        if (o.ok) {
          done = true;
          const link = isResultId(o.id) ? el('a', { href: `${resultsEndpoint(board)}/${o.id}`, target: '_blank', rel: 'noopener' }, o.id) : o.id;
          say('info', o.created ? 'Stored on the board as ' : 'Already on the board as ', link, '.');
          endSession();
        } else {
          say('error', `The board did not take the result: ${lastLine}. Fix it in the board's window and submit again there. ${KEPT}`);
        }
      }
    };
    const closedTimer = setInterval(() => {
      if (!win.closed) return;
      endSession();
      if (!done) say('warn', `The board's window was closed before the result was stored${lastLine ? ` (last answer: ${lastLine})` : ''}. ${KEPT}`);
    }, CLOSED_POLL_MS);
    const readyTimer = setTimeout(() => {
      if (ready) return;
      endSession();
      say('error', `No answer from ${page.href} within ${READY_TIMEOUT_MS / 1000} s: is it a tokenbench results board (npm run board)? ${KEPT}`);
    }, READY_TIMEOUT_MS);
    window.addEventListener('message', onMessage);
    endSession = () => {
      window.removeEventListener('message', onMessage);
      clearInterval(closedTimer);
      clearTimeout(readyTimer);
      endSession = () => undefined;
    };
  });

  return { element, setEnabled: (on) => (button.disabled = !on) };
}
