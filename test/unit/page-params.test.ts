import { describe, expect, test } from 'vitest';
import { parsePageQuery } from '../../src/runtime/request-text';

describe('bench page URL parameters', () => {
  test.each([
    ['', { suite: 'standard', autorun: false }],
    ['?suite=smoke', { suite: 'smoke', autorun: false }],
    ['?suite=smoke&autorun=1', { suite: 'smoke', autorun: true }],
    ['?autorun=true', { suite: 'standard', autorun: true }],
    ['?autorun', { suite: 'standard', autorun: true }],
    ['?autorun=0', { suite: 'standard', autorun: false }],
  ])('%s', (search, expected) => {
    const out = parsePageQuery(search);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.value.autorun).toBe(expected.autorun);
    expect(out.value.request).toEqual({ suite: expected.suite, generation: {}, tune: { enabled: true }, cost: null, peers: null });
  });

  test('the parameters present are named, so the page can keep a chosen suite', () => {
    const out = parsePageQuery('?suite=standard&gen=5');
    expect(out.ok && [...out.value.given]).toEqual(['suite', 'gen']);
  });

  test('generation settings and a custom architecture come through the URL', () => {
    const arch = { name: 'mine', hidden: 64, ffn: 96, layers: 1, heads: 4, kvHeads: 2, headDim: 16, vocab: 100 };
    const out = parsePageQuery(`?suite=smoke&models=${encodeURIComponent(JSON.stringify(['tiny', arch]))}&formats=q4_0,f16&prompt=32,64&gen=5&depths=0,100&batches=1,8&gen-reps=2`);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const g = out.value.request.generation;
    expect(g.models?.[0]).toBe('tiny');
    expect(g.models?.[1]).toMatchObject({ name: 'mine', tiedEmbeddings: false, ropeTheta: 10000 });
    expect(g).toMatchObject({ formats: ['q4_0', 'f16'], promptLens: [32, 64], genTokens: 5, depths: [0, 100], batches: [1, 8], reps: 2 });
  });

  test('the architecture flags and a repeated model work in the URL as on the command line', () => {
    const out = parsePageQuery('?model=tiny&model=tiny-tied&hidden=64&ffn=96&layers=1&heads=4&kv-heads=2&head-dim=16&vocab=100&name=url');
    expect(out.ok && out.value.request.generation.models).toEqual(['tiny', 'tiny-tied', expect.objectContaining({ name: 'url', hidden: 64 })]);
  });

  test.each([
    ['?suite=giant', /unknown suite "giant"/],
    ['?autorun=maybe', /autorun= must be 1 or 0/],
    ['?sutie=smoke', /unknown URL parameter "sutie"/],
    ['?suite=smoke&suite=standard', /\?suite= is given more than once/],
    ['?models=llama-9000', /unknown preset "llama-9000"/],
    ['?formats=q3_k', /unknown format "q3_k"/],
    ['?prompt=0', /^prompt: 0 is outside/],
    ['?batches=4,x', /batches: "x" is not/],
    ['?kv-type=bf16', /kv-type: expected f16 or f32, got "bf16"/],
    ['?models=' + encodeURIComponent('{"hidden":64,"ffn":96,"layers":1,"heads":3,"kvHeads":2,"headDim":16,"vocab":10}'), /divisible/],
    ['?heads=4&kv-heads=3&hidden=64&ffn=64&layers=1&head-dim=16&vocab=9', /^custom architecture: heads \(4\) must be divisible by kv-heads \(3\)/],
  ])('%s is rejected with a clear message', (search, message) => {
    const out = parsePageQuery(search);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(message);
  });
});
