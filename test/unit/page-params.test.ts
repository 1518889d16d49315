import { describe, expect, test } from 'vitest';
import { parseParams } from '../../src/ui/params';

describe('bench page URL parameters', () => {
  test.each([
    ['', { suite: 'standard', autorun: false }],
    ['?suite=smoke', { suite: 'smoke', autorun: false }],
    ['?suite=smoke&autorun=1', { suite: 'smoke', autorun: true }],
    ['?autorun=true', { suite: 'standard', autorun: true }],
    ['?autorun', { suite: 'standard', autorun: true }],
    ['?autorun=0', { suite: 'standard', autorun: false }],
  ])('%s', (search, expected) => {
    expect(parseParams(search)).toEqual({ ok: true, ...expected });
  });

  test.each([
    ['?suite=giant', /unknown suite "giant"/],
    ['?autorun=maybe', /autorun= must be 1 or 0/],
    ['?sutie=smoke', /unknown URL parameter "sutie"/],
  ])('%s is rejected with a clear message', (search, message) => {
    const out = parseParams(search);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(message);
  });
});
