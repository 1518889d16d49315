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
    expect(parseParams(search)).toEqual({ ok: true, generation: {}, tune: true, ...expected });
  });

  test('generation settings and a custom architecture come through the URL', () => {
    const arch = { name: 'mine', hidden: 64, ffn: 96, layers: 1, heads: 4, kvHeads: 2, headDim: 16, vocab: 100 };
    const out = parseParams(`?suite=smoke&models=${encodeURIComponent(JSON.stringify(['tiny', arch]))}&formats=q4_0,f16&prompt=32,64&gen=5&depths=0,100&batches=1,8&gen-reps=2`);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.generation.models?.[0]).toBe('tiny');
    expect(out.generation.models?.[1]).toMatchObject({ name: 'mine', tiedEmbeddings: false, ropeTheta: 10000 });
    expect(out.generation).toMatchObject({ formats: ['q4_0', 'f16'], promptLens: [32, 64], genTokens: 5, depths: [0, 100], batches: [1, 8], reps: 2 });
  });

  test.each([
    ['?suite=giant', /unknown suite "giant"/],
    ['?autorun=maybe', /autorun= must be 1 or 0/],
    ['?sutie=smoke', /unknown URL parameter "sutie"/],
    ['?models=llama-9000', /unknown preset "llama-9000"/],
    ['?formats=q3_k', /unknown format "q3_k"/],
    ['?prompt=0', /prompt: 0 is outside/],
    ['?batches=4,x', /batches: "x" is not/],
    ['?models=' + encodeURIComponent('{"hidden":64,"ffn":96,"layers":1,"heads":3,"kvHeads":2,"headDim":16,"vocab":10}'), /divisible/],
  ])('%s is rejected with a clear message', (search, message) => {
    const out = parseParams(search);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(message);
  });
});
