/** The bench page ↔ board submit window messages (src/ui/board-link.ts): what each side accepts, and where the window points. */
import { describe, expect, test } from 'vitest';
import { OUTCOME, READY, RESULT, boardMessage, submitPageUrl } from '../../src/ui/board-link';

describe('boardMessage', () => {
  test.each([
    ['ready', { type: READY }, { type: READY }],
    ['a result text', { type: RESULT, text: '{}' }, { type: RESULT, text: '{}' }],
    ['a stored outcome', { type: OUTCOME, outcome: { ok: true, id: 'a'.repeat(64), created: true } }, { type: OUTCOME, outcome: { ok: true, id: 'a'.repeat(64), created: true } }],
    ['a refusal', { type: OUTCOME, outcome: { ok: false, status: 401, error: 'no' } }, { type: OUTCOME, outcome: { ok: false, status: 401, error: 'no' } }],
    ['an unreachable board', { type: OUTCOME, outcome: { ok: false, status: null, error: 'down' } }, { type: OUTCOME, outcome: { ok: false, status: null, error: 'down' } }],
  ])('takes %s, and only its fields', (_name, data, expected) => {
    expect(boardMessage({ ...data, extra: '<img>' })).toEqual(expected);
  });

  test.each([
    ['null', null],
    ['a string', READY],
    ['an unknown type', { type: 'tokenbench-board-other' }],
    ['a result without text', { type: RESULT }],
    ['a result whose text is not a string', { type: RESULT, text: { phases: [] } }],
    ['an outcome without one', { type: OUTCOME }],
    ['a success without an id', { type: OUTCOME, outcome: { ok: true, created: true } }],
    ['a refusal without a message', { type: OUTCOME, outcome: { ok: false, status: 400 } }],
    ['a refusal with a text status', { type: OUTCOME, outcome: { ok: false, status: '400', error: 'x' } }],
  ])('ignores %s', (_name, data) => {
    expect(boardMessage(data)).toBeNull();
  });
});

describe('submitPageUrl', () => {
  test.each([
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787/submit.html'],
    ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787/submit.html'],
    ['https://lab.example/board/?x=1#y', 'https://lab.example/board/submit.html'],
  ])('%s → %s', (board, page) => {
    expect(submitPageUrl(board).href).toBe(page);
  });
});
