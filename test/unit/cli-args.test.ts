import { describe, expect, test } from 'vitest';
import { PRESET_DEPRECATION, parseArgs } from '../../bench/args';
import { BrowserNotFoundError, candidatePaths, findBrowser } from '../../bench/browser';
import { BASE_FLAGS, PROFILES, chromeFlags } from '../../bench/profiles';

describe('CLI argument parsing', () => {
  test('defaults', () => {
    const p = parseArgs([]);
    expect(p).toEqual({
      kind: 'run',
      warnings: [],
      options: {
        // The request: the same object the page and the Node runner take.
        request: { suite: 'standard', generation: {}, tune: { enabled: true }, cost: null, peers: null },
        modelFiles: [],
        out: null, browser: null, profiles: ['default'], flags: [], headed: false, timeoutS: 3600, quiet: false, yes: false, tuneCache: null,
        // CI, fleet and Node-runtime options (issue 7).
        baseline: null, maxRegression: 0.05, alpha: 0.05, allow: [], outputFormats: [], endpoints: [],
        serveBind: '127.0.0.1', serveHost: null, servePort: 0,
        runtime: 'browser', adapter: null, backend: null, dawnEnable: [], dawnDisable: [], listAdapters: false,
        // Results board (issue 15).
        submit: null, submitToken: null,
      },
    });
  });

  test('`run` is the default subcommand', () => {
    expect(parseArgs(['run', '--suite', 'smoke'])).toEqual(parseArgs(['--suite', 'smoke']));
  });

  test.each([
    [['--suite', 'smoke'], { request: { suite: 'smoke' } }],
    [['--suite=smoke'], { request: { suite: 'smoke' } }],
    [['--out', 'r.json'], { out: 'r.json' }],
    [['--browser', '/x/chrome'], { browser: '/x/chrome' }],
    [['--profile', 'gpu,unquantized'], { profiles: ['gpu', 'unquantized'] }],
    [['--flags', '--a --b=1', '--flags', '--c'], { flags: ['--a', '--b=1', '--c'] }],
    [['--headed', '--quiet'], { headed: true, quiet: true }],
    [['--timeout', '90'], { timeoutS: 90 }],
    [['--models', 'llama-3.2-1b,tiny', '--formats', 'q4_0'], { request: { generation: { models: ['llama-3.2-1b', 'tiny'], formats: ['q4_0'] } } }],
    [['--formats', 'q4_k_m,bf16,q5_k,q6_k,q4_k'], { request: { generation: { formats: ['q4_k_m', 'bf16', 'q5_k', 'q6_k', 'q4_k'] } } }],
    [['--prompt', '512,1024', '--gen', '128', '--depths', '0,4096', '--batches', '1,4'], { request: { generation: { promptLens: [512, 1024], genTokens: 128, depths: [0, 4096], batches: [1, 4] } } }],
    [['--model', 'tiny', '--model', 'tiny-tied'], { request: { generation: { models: ['tiny', 'tiny-tied'] } } }],
    [['--models', 'tiny', '--model', 'tiny-tied'], { request: { generation: { models: ['tiny', 'tiny-tied'] } } }],
    [['--kv-type', 'f32'], { request: { generation: { kvType: 'f32' } } }],
  ])('%j', (argv, expected) => {
    const p = parseArgs(argv);
    expect(p.kind).toBe('run');
    if (p.kind === 'run') expect(p.options).toMatchObject(expected);
  });

  test.each([
    [['--suite', 'nope'], /unknown suite "nope"/],
    [['--suite'], /--suite needs a value/],
    [['--profile', 'warp9'], /--profile: unknown profile "warp9" \(known: default, gpu, nvidia/],
    [['--preset', 'warp9'], /--preset: unknown profile "warp9"/],
    [['--profile', ','], /--profile: needs at least one name/],
    [['--profile'], /^--profile needs a value$/],
    [['--headed=yes'], /^--headed takes no value$/],
    [['--timeout', 'soon'], /positive number/],
    [['--timeout', '0'], /positive number/],
    [['--what'], /unknown option "--what"/],
    [['extra'], /unexpected argument "extra"/],
    [['--out='], /--out needs a file path/],
    [['--formats', 'q2'], /unknown format "q2"/],
    [['--gen', '1,2'], /--gen: expected one integer/],
    [['--model', 'gpt-5'], /^--model: unknown preset "gpt-5"/],
    [['--models', 'tiny,gpt-5'], /^--models: unknown preset "gpt-5"/],
    [['--hidden', '64', '--ffn', '96', '--layers', '1', '--heads', '4', '--kv-heads', '3', '--head-dim', '16', '--vocab', '10'], /divisible/],
    [['--hidden', '12abc'], /--hidden/],
    [['--kv-type', 'q8_0'], /^--kv-type: expected f16 or f32, got "q8_0"/],
  ])('rejects %j', (argv, message) => {
    const p = parseArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  test.each([['-h'], ['--help'], ['--suite', 'smoke', '-h']])('%s asks for help', (...flags) => {
    expect(parseArgs(flags).kind).toBe('help');
  });

  test('--preset still works, with a deprecation warning', () => {
    expect(parseArgs(['--preset', 'gpu', '--preset', 'nvidia'])).toMatchObject({ kind: 'run', options: { profiles: ['nvidia'] }, warnings: [PRESET_DEPRECATION] });
    expect(parseArgs(['--profile', 'gpu'])).toMatchObject({ kind: 'run', warnings: [] });
    expect(PRESET_DEPRECATION).toMatch(/--preset is deprecated: use --profile/);
  });
});

test('a custom architecture from flags is added as a model', () => {
  const p = parseArgs(['--hidden', '64', '--ffn', '96', '--layers', '2', '--heads', '4', '--kv-heads', '2', '--head-dim', '16', '--vocab', '100', '--name', 'mini']);
  expect(p.kind).toBe('run');
  if (p.kind === 'run') expect(p.options.request.generation.models).toEqual([expect.objectContaining({ name: 'mini', hidden: 64, kvHeads: 2 })]);
});

describe('Chromium flags', () => {
  test('base flags enable WebGPU and stop background throttling', () => {
    const f = chromeFlags({ profiles: ['default'], flags: [] }, false);
    expect(f).toEqual(BASE_FLAGS);
    expect(f).toContain('--enable-unsafe-webgpu');
    expect(f).toContain('--disable-renderer-backgrounding');
  });

  test('profiles combine, root adds --no-sandbox, duplicates collapse', () => {
    const f = chromeFlags({ profiles: ['gpu', 'unquantized'], flags: ['--enable-unsafe-webgpu', '--x'] }, true);
    for (const flag of [...PROFILES.gpu, ...PROFILES.unquantized, '--x', '--no-sandbox']) expect(f).toContain(flag);
    expect(f.filter((x) => x === '--enable-unsafe-webgpu')).toHaveLength(1);
  });
});

describe('browser discovery', () => {
  test.each(['linux', 'darwin', 'win32'] as const)('has candidate paths on %s', (platform) => {
    expect(candidatePaths(platform, { PROGRAMFILES: 'C:\\Program Files' }).length).toBeGreaterThan(0);
  });

  test('an explicit path that is not executable is an error naming it', () => {
    expect(() => findBrowser('/definitely/not/here')).toThrow(BrowserNotFoundError);
    expect(() => findBrowser('/definitely/not/here')).toThrow(/\/definitely\/not\/here/);
  });

  test('CHROME_PATH is honoured and checked', () => {
    expect(() => findBrowser(null, { CHROME_PATH: '/nope/chrome' })).toThrow(/CHROME_PATH=\/nope\/chrome/);
  });

  test('nothing found gives install advice', () => {
    // macOS install paths do not exist on the Linux CI machine.
    expect(() => findBrowser(null, {}, 'darwin')).toThrow(/apt-get install chromium/);
  });
});
