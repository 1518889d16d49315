import { describe, expect, test } from 'vitest';
import { RUN_OPTIONS, USAGE, parseArgs } from '../../bench/args';
import { parseArgsConfig } from '../../bench/command-line';
import { ARCH_FLAG_NAMES } from '../../src/model/arch';
import { defaultRunRequest } from '../../src/run/request';
import { PAGE_OPTIONS, REQUEST_OPTIONS, optionSynopsis } from '../../src/runtime/options';
import { parsePageQuery, parseRunRequest, requestToQuery, requestToTexts } from '../../src/runtime/request-text';

/** A complete custom architecture: the architecture flags only make sense together. */
const ARCH = { hidden: '64', ffn: '96', layers: '1', heads: '4', 'kv-heads': '2', 'head-dim': '16', vocab: '100' };

/** Texts that exercise each run option (with the companions some need), as the command line and the URL give them. */
const SAMPLES: Record<string, Record<string, string>> = {
  suite: { suite: 'smoke' },
  tune: { tune: '0' },
  models: { models: 'tiny,tiny-tied' },
  model: { model: 'tiny-tied' },
  formats: { formats: 'q4_0,f16' },
  prompt: { prompt: '32,64' },
  gguf: { gguf: 'tiny-llama q4_k_m.gguf' },
  // A prompt is read with a model file's vocabulary: it comes with one.
  'prompt-text': { gguf: 'tiny.gguf', 'prompt-text': 'Once upon a time, "quoted" & <b>bold</b>\nnext line' },
  'prompt-tokens': { gguf: 'tiny.gguf', 'prompt-tokens': '1, 2,2,30000' },
  gen: { gen: '5' },
  depths: { depths: '0,100' },
  batches: { batches: '1,4' },
  'gen-reps': { 'gen-reps': '2' },
  'kv-type': { 'kv-type': 'f16' },
  ...Object.fromEntries(Object.keys(ARCH).map((k) => [k, ARCH])),
  name: { ...ARCH, name: 'mini' },
  'tied-embeddings': { ...ARCH, 'tied-embeddings': 'true' },
  'qkv-bias': { ...ARCH, 'qkv-bias': 'true' },
  'rope-theta': { ...ARCH, 'rope-theta': '500000' },
  'norm-eps': { ...ARCH, 'norm-eps': '0.000001' },
  'hourly-price': { 'hourly-price': '2.5' },
  'purchase-price': { 'purchase-price': '30000', 'lifetime-years': '4', utilisation: '60' },
  'lifetime-years': { 'purchase-price': '30000', 'lifetime-years': '3', utilisation: '50' },
  utilisation: { 'purchase-price': '9000', 'lifetime-years': '4', utilisation: '75' },
  'board-power': { 'board-power': '300' },
  'electricity-price': { 'electricity-price': '0.2', 'board-power': '300' },
  'api-input-price': { 'api-input-price': '0.1', 'api-output-price': '0.4' },
  'api-output-price': { 'api-input-price': '0.2', 'api-output-price': '0.8' },
  'token-mix': { 'token-mix': '2:1', 'hourly-price': '1' },
  accelerator: { accelerator: 'l4' },
  peer: { peer: 'webgpu,native:vulkan' },
};

/** The command line of some option texts: `--name value`, or `--no-name` for an option turned off. */
function argvOf(texts: Record<string, string>): string[] {
  return Object.entries(texts).flatMap(([name, value]) => {
    const o = REQUEST_OPTIONS.find((x) => x.name === name);
    if (o?.negatable) return value === '0' ? [`--no-${name}`] : [];
    return [`--${name}`, value];
  });
}

function cliRequest(argv: string[]) {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error(p.kind === 'error' ? p.message : 'help');
  return p.options.request;
}

function urlRequest(search: string) {
  const p = parsePageQuery(search);
  if (!p.ok) throw new Error(p.error);
  return p.value.request;
}

describe('the option table', () => {
  test('every run option has a sample here, so every one is round-tripped below', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(REQUEST_OPTIONS.map((o) => o.name).sort());
  });

  test.each(REQUEST_OPTIONS.map((o) => o.name))('%s: command line ↔ RunRequest ↔ URL', (name) => {
    const texts = SAMPLES[name] as Record<string, string>;
    const fromCli = cliRequest(argvOf(texts));
    // It changes the request, ...
    expect(fromCli).not.toEqual(defaultRunRequest());
    // ... means the same in the page address, ...
    expect(urlRequest(`?${new URLSearchParams(texts).toString()}`)).toEqual(fromCli);
    // ... and the request written back as an address or a command line reads the same again.
    expect(urlRequest(`?${requestToQuery(fromCli).toString()}`)).toEqual(fromCli);
    expect(cliRequest(argvOf(Object.fromEntries(requestToTexts(fromCli))))).toEqual(fromCli);
    // Automation hands the request itself: the same again.
    expect(parseRunRequest(JSON.parse(JSON.stringify(fromCli)))).toEqual({ ok: true, value: fromCli });
  });

  test('names are unique across the run options, the page options and the command line', () => {
    const names = [...RUN_OPTIONS.map((o) => (o.negatable ? `no-${o.name}` : o.name)), ...PAGE_OPTIONS.map((o) => o.name)];
    expect(new Set(names).size).toBe(names.length);
  });

  test('the command line takes every run option exactly once, and its parseArgs configuration comes from the table', () => {
    for (const o of REQUEST_OPTIONS) expect(RUN_OPTIONS.filter((x) => x.name === o.name)).toHaveLength(1);
    const config = parseArgsConfig(RUN_OPTIONS);
    expect(config['no-tune']).toEqual({ type: 'boolean' });
    expect(config['model']).toEqual({ type: 'string', multiple: true });
    expect(config['help']).toEqual({ type: 'boolean', short: 'h' });
    expect(Object.keys(config)).toHaveLength(RUN_OPTIONS.length);
  });

  test('every architecture flag has its own help line', () => {
    for (const flag of ARCH_FLAG_NAMES) {
      const o = REQUEST_OPTIONS.find((x) => x.name === flag);
      expect(o?.part).toBe('architecture');
      expect(o?.help).not.toBe(flag);
    }
  });
});

describe('generated --help', () => {
  test.each(RUN_OPTIONS.map((o) => [optionSynopsis(o), o.help] as const))('lists %s', (synopsis, help) => {
    const line = USAGE.split('\n').find((l) => l.startsWith(`  ${synopsis} `) || l === `  ${synopsis}`);
    expect(line, USAGE).toBeDefined();
    // The description starts on that line, or on the next one for a long synopsis.
    expect(USAGE.replace(/\s+/g, ' ')).toContain(`${synopsis} ${help}`.replace(/\s+/g, ' '));
  });

  test('sections follow the table, and lines stay within 110 columns', () => {
    const at = (s: string) => USAGE.indexOf(`\n${s}:\n`);
    expect(at('Options')).toBeGreaterThan(0);
    expect(at('Options')).toBeLessThan(at('Token workloads (defaults come from the suite)'));
    expect(at('CI')).toBeLessThan(at('Node runtime (no browser, npm webgpu = Dawn)'));
    for (const line of USAGE.split('\n')) expect(line.length, line).toBeLessThanOrEqual(110);
  });
});

describe('a request from automation (window.tokenbench.run)', () => {
  test('parts left out take their defaults', () => {
    expect(parseRunRequest({ suite: 'smoke' })).toEqual({ ok: true, value: defaultRunRequest('smoke') });
    expect(parseRunRequest({})).toEqual({ ok: true, value: defaultRunRequest() });
    expect(parseRunRequest({ cost: { hourlyPrice: 2 } })).toMatchObject({ ok: true, value: { cost: { hourlyPrice: 2, mix: { input: 3, output: 1 } } } });
  });

  test.each([
    [null, /invalid request at \$/],
    [{ suite: 'huge' }, /invalid request at \$\.suite/],
    [{ sutie: 'smoke' }, /invalid request at \$: .*sutie/],
    [{ generation: { promptLens: [0] } }, /invalid request at \$\.generation\.promptLens\[0\]/],
    [{ generation: { promptLens: [100000] } }, /invalid request: prompt: 100000 is outside \[1, 32768\]/],
    [{ generation: { prompt: [16] } }, /invalid request at \$\.generation/],
    [{ generation: { models: ['gpt-9'] } }, /unknown preset "gpt-9"/],
    [{ cost: { hourlyPrice: 2, purchasePrice: 9 } }, /either hourly-price/],
    [{ tune: { enabled: 'yes' } }, /invalid request at \$\.tune\.enabled/],
    [{ generation: { models: [{ gguf: '' }] } }, /invalid request at \$\.generation\.models\[0\]/],
    [{ generation: { promptText: 'hi' } }, /prompt-text: a prompt is read with a model file's vocabulary/],
    [{ generation: { models: [{ gguf: 'a.gguf' }], promptText: 'hi', promptTokens: [1] } }, /give the prompt as prompt-text or as prompt-tokens, not both/],
    [{ generation: { models: [{ gguf: 'a.gguf' }, { gguf: 'a.gguf' }] } }, /gguf: "a\.gguf" given more than once/],
  ])('%j is refused with a clear message', (value, message) => {
    const r = parseRunRequest(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  test('model files travel by name, in order with the other models, with the prompt', () => {
    const r = parseRunRequest({ generation: { models: ['tiny', { gguf: 'my model.gguf' }], promptTokens: [5, 5, 1] } });
    expect(r).toMatchObject({ ok: true, value: { generation: { models: ['tiny', { gguf: 'my model.gguf' }], promptTokens: [5, 5, 1] } } });
  });

  test('the tuning cache travels; malformed entries are dropped', () => {
    const good = { chosen: 'v4', medianNs: 10, measuredAt: '2026-01-01T00:00:00Z' };
    const r = parseRunRequest({ tune: { enabled: true, cache: { a: good, b: { chosen: 1 } } } });
    expect(r).toEqual({ ok: true, value: { ...defaultRunRequest(), tune: { enabled: true, cache: { a: good } } } });
  });
});
