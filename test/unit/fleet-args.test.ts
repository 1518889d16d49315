import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PRESET_DEPRECATION, USAGE, parseArgs, parsePercentOption } from '../../bench/args';
import { parseAdapterList } from '../../bench/drivers/node';
import { GATE_USAGE, parseGateArgs } from '../../bench/gate';
import { withNodeRuntime } from '../../bench/node-runner';
import { BASE_DAWN_ENABLE, BASE_FLAGS, DAWN_PROFILES, PROFILES, type ProfileName, chromeFlags, dawnSetup, mergeListFlags } from '../../bench/profiles';
import { SERVE_BROWSER_USAGE, parseServeBrowserArgs, serveBrowserFlags } from '../../bench/serve-browser';

const ROOT = join(import.meta.dirname, '../..');

function options(argv: string[]) {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error(p.kind === 'error' ? p.message : 'help');
  return p.options;
}

describe('CI, fleet and Node-runtime options of `run`', () => {
  test.each([
    [['--baseline', 'old.json'], { baseline: 'old.json', maxRegression: 0.05, alpha: 0.05 }],
    [['--baseline=old.json', '--max-regression', '2.5%', '--alpha', '0.01'], { baseline: 'old.json', maxRegression: 0.025, alpha: 0.01 }],
    [['--baseline', 'b.json', '--max-regression=10'], { maxRegression: 0.1 }],
    [['--format', 'github-bigger,github-smaller', '--format', 'md'], { outputFormats: ['github-bigger', 'github-smaller', 'md'] }],
    [['--runtime', 'node', '--adapter', 'NVIDIA H200', '--backend', 'vulkan', '--dawn-enable', 'vulkan_enable_f16_on_nvidia', '--dawn-disable', 'timestamp_quantization'],
      { runtime: 'node', adapter: 'NVIDIA H200', backend: 'vulkan', dawnEnable: ['vulkan_enable_f16_on_nvidia'], dawnDisable: ['timestamp_quantization'] }],
    [['--runtime', 'node', '--list-adapters'], { runtime: 'node', listAdapters: true }],
    [['--webdriver', 'http://grid:4444/wd/hub', '--host', '0.0.0.0', '--serve-host', 'bench.lan', '--serve-port', '8123'],
      { serveBind: '0.0.0.0', serveHost: 'bench.lan', servePort: 8123 }],
  ])('%j', (argv, expected) => {
    expect(options(argv)).toMatchObject(expected);
  });

  test('--connect and --webdriver keep their command-line order', () => {
    const o = options(['--connect', 'ws://a:3000/x', '--webdriver', 'http://b:4444', '--connect', 'wss://c/y']);
    expect(o.endpoints).toEqual([
      { driver: 'playwright', url: 'ws://a:3000/x' },
      { driver: 'webdriver', url: 'http://b:4444' },
      { driver: 'playwright', url: 'wss://c/y' },
    ]);
  });

  test.each([
    [['--connect', 'http://a:3000'], /--connect: expected a ws: or wss: URL/],
    [['--webdriver', 'ws://a:4444'], /--webdriver: expected a http: or https: URL/],
    [['--connect', 'not a url'], /--connect: not a URL/],
    [['--max-regression', '5%'], /need --baseline/],
    [['--baseline', 'b.json', '--max-regression', 'lots'], /expected a percentage/],
    [['--baseline', 'b.json', '--alpha', '1.5'], /--alpha/],
    [['--adapter', 'x'], /--adapter needs --runtime node/],
    [['--list-adapters'], /--list-adapters needs --runtime node/],
    [['--dawn-enable', 'x'], /--dawn-enable needs --runtime node/],
    [['--runtime', 'node', '--dawn-enable', 'Bad-Toggle'], /expected Dawn toggle names/],
    [['--runtime', 'node', '--connect', 'ws://a/b'], /drop --runtime node/],
    [['--runtime', 'node', '--flags', '--x'], /browser options/],
    [['--runtime', 'gpu'], /expected browser or node/],
    [['--host', '0.0.0.0'], /page server for --webdriver/],
    [['--webdriver', 'http://a:1', '--serve-port', '70000'], /port number/],
    [['--format'], /--format needs a value/],
    [['--list-adapters=yes', '--runtime', 'node'], /--list-adapters takes no value/],
  ])('rejects %j', (argv, message) => {
    const p = parseArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  test.each([
    ['5%', 0.05],
    ['5', 0.05],
    ['0.5%', 0.005],
    [' 12.5 % ', 0.125],
    ['-1%', null],
    ['5x', null],
    ['', null],
  ])('percentage %j → %s', (text, value) => {
    expect(parsePercentOption(text)).toBe(value);
  });

  test('the usage names every subcommand and option', () => {
    for (const word of ['serve-browser', 'gate', 'compare', '--baseline', '--max-regression', '--format', '--connect', '--webdriver', '--serve-host', '--runtime', '--adapter', '--dawn-enable', '--dawn-disable', '--list-adapters']) {
      expect(USAGE).toContain(word);
    }
  });

  test('each subcommand has its own generated help', () => {
    expect(GATE_USAGE).toMatch(/^Usage: npm run bench -- gate/);
    expect(GATE_USAGE).toMatch(/^ {2}--max-regression PCT {4}/m);
    expect(GATE_USAGE).not.toMatch(/--suite/);
    expect(SERVE_BROWSER_USAGE).toMatch(/^ {2}--ws-path PATH {9}/m);
    expect(SERVE_BROWSER_USAGE).toMatch(/^ {2}--profile LIST/m);
  });
});

describe('browser profiles', () => {
  const cliDoc = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  test.each(Object.keys(PROFILES) as ProfileName[])('profile %s starts from the base flags and is documented in the CLI reference', (name) => {
    const f = chromeFlags({ profiles: [name], flags: [] }, false);
    for (const flag of BASE_FLAGS) expect(f).toContain(flag);
    expect(cliDoc).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  test('the CLI reference names them profiles and --profile, and the README links to it', () => {
    expect(cliDoc).toMatch(/^### Browser profiles$/m);
    expect(cliDoc).toMatch(/\| `--profile LIST` \|/);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/docs\/cli\.md/);
  });

  test.each([
    ['nvidia', ['--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface', '--enable-dawn-features=vulkan_enable_f16_on_nvidia']],
    ['amd', ['--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface']],
    ['intel', ['--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface']],
    ['swiftshader', ['--use-webgpu-adapter=swiftshader']],
    ['unquantized', ['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization']],
    ['no-throttle', ['--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows', '--disable-hang-monitor']],
  ] as const)('%s sets %j', (name, want) => {
    const f = chromeFlags({ profiles: [name], flags: [] }, false);
    for (const flag of want) expect(f).toContain(flag);
  });

  test('list switches from several profiles and --flags merge into one (Chromium keeps only the last)', () => {
    const f = chromeFlags({ profiles: ['nvidia', 'unquantized'], flags: ['--enable-dawn-features=dump_shaders', '--enable-features=Foo'] }, false);
    expect(f.filter((x) => x.startsWith('--enable-dawn-features='))).toEqual(['--enable-dawn-features=vulkan_enable_f16_on_nvidia,dump_shaders']);
    expect(f.filter((x) => x.startsWith('--enable-features='))).toEqual(['--enable-features=Vulkan,Foo']);
    expect(f).toContain('--disable-dawn-features=timestamp_quantization');
  });

  test('mergeListFlags keeps order, drops duplicate values and leaves other flags alone', () => {
    expect(mergeListFlags(['--a', '--enable-features=X,Y', '--b', '--enable-features=Y,Z'])).toEqual(['--a', '--enable-features=X,Y,Z', '--b']);
  });

  test('no profile passes --disable-features or --enable-features of its own besides Vulkan', () => {
    // Playwright passes its own lists: ours would replace them (Chromium keeps the last occurrence).
    for (const [name, flags] of Object.entries(PROFILES)) {
      for (const f of flags) if (f.startsWith('--disable-features')) throw new Error(`${name}: ${f}`);
    }
  });
});

describe('Dawn options of the Node runtime', () => {
  test('defaults: unsafe APIs on, like --enable-unsafe-webgpu in the browser', () => {
    expect(dawnSetup({ profiles: ['default'], adapter: null, backend: null, dawnEnable: [], dawnDisable: [] })).toEqual({
      options: [`enable-dawn-features=${BASE_DAWN_ENABLE.join(',')}`],
      software: false,
    });
  });

  test('profiles map to Dawn: nvidia + unquantized = the toggles of ../shared/device/README.md', () => {
    const s = dawnSetup({ profiles: ['nvidia', 'unquantized'], adapter: null, backend: null, dawnEnable: [], dawnDisable: [] });
    expect(s.options).toEqual([
      'backend=vulkan',
      'enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia',
      'disable-dawn-features=timestamp_quantization',
    ]);
  });

  test('explicit adapter, backend and toggles; a disabled toggle is never also enabled', () => {
    const s = dawnSetup({ profiles: ['swiftshader'], adapter: 'SwiftShader', backend: 'vulkan', dawnEnable: ['dump_shaders'], dawnDisable: ['allow_unsafe_apis'] });
    expect(s).toEqual({
      options: ['backend=vulkan', 'adapter=SwiftShader', 'enable-dawn-features=dump_shaders', 'disable-dawn-features=allow_unsafe_apis'],
      software: true,
    });
  });

  test('every profile has a Dawn meaning (possibly none)', () => {
    expect(Object.keys(DAWN_PROFILES).sort()).toEqual(Object.keys(PROFILES).sort());
  });

  test('adapters are read from Dawn\'s "no suitable backends" message', () => {
    const msg = "no suitable backends found\nAvailable adapters:\n * backend: 'vulkan', name: 'NVIDIA H200'\n * backend: 'vulkan', name: 'SwiftShader Device (Subzero)'";
    expect(parseAdapterList(msg)).toEqual([
      { backend: 'vulkan', name: 'NVIDIA H200' },
      { backend: 'vulkan', name: 'SwiftShader Device (Subzero)' },
    ]);
  });

  test.each([
    [['--suite', 'smoke'], ['--runtime', 'node', '--suite', 'smoke']],
    [['run', '--suite', 'smoke'], ['run', '--runtime', 'node', '--suite', 'smoke']],
    [['--runtime', 'node'], ['--runtime', 'node']],
  ])('the bundled runner is always the Node runtime: %j', (argv, want) => {
    expect(withNodeRuntime(argv)).toEqual(want);
  });
});

describe('serve-browser arguments', () => {
  test('defaults: loopback, free port, random path', () => {
    expect(parseServeBrowserArgs([])).toEqual({
      kind: 'serve',
      options: { port: 0, host: '127.0.0.1', wsPath: null, profiles: ['default'], flags: [], browser: null, headed: false },
      warnings: [],
    });
  });

  test('options', () => {
    const p = parseServeBrowserArgs(['--port', '3000', '--host=0.0.0.0', '--ws-path', 'tb', '--profile', 'nvidia,unquantized', '--flags', '--x --y', '--headed']);
    expect(p).toMatchObject({ kind: 'serve', options: { port: 3000, host: '0.0.0.0', wsPath: '/tb', profiles: ['nvidia', 'unquantized'], flags: ['--x', '--y'], headed: true }, warnings: [] });
  });

  test('--preset is the deprecated name of --profile here too', () => {
    expect(parseServeBrowserArgs(['--preset', 'swiftshader'])).toMatchObject({ kind: 'serve', options: { profiles: ['swiftshader'] }, warnings: [PRESET_DEPRECATION] });
  });

  test.each([
    [['--port', 'x'], /--port/],
    [['--port'], /needs a value/],
    [['--profile', 'warp'], /--profile: unknown profile "warp"/],
    [['--preset', 'warp'], /--preset: unknown profile "warp"/],
    [['--ws-path', 'a b'], /--ws-path/],
    [['--nope'], /unknown option/],
  ])('rejects %j', (argv, message) => {
    const p = parseServeBrowserArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });

  test('the server lets clients read its command line (--enable-automation) into their results', () => {
    expect(serveBrowserFlags({ profiles: ['swiftshader'], flags: [] }, false)).toContain('--enable-automation');
  });
});

describe('gate arguments', () => {
  test('result, baseline and threshold', () => {
    expect(parseGateArgs(['r.json', '--baseline', 'old.json', '--max-regression', '3%'])).toEqual({
      kind: 'gate',
      options: { result: 'r.json', baseline: 'old.json', maxRegression: 0.03, alpha: 0.05, allow: [] },
    });
    expect(parseGateArgs(['r.json', '--baseline', 'old.json', '--allow', 'inconclusive,missing'])).toMatchObject({
      kind: 'gate',
      options: { allow: ['inconclusive', 'missing'] },
    });
  });

  test.each([
    [['--baseline', 'old.json'], /needs a result file/],
    [['r.json'], /needs --baseline/],
    [['a.json', 'b.json', '--baseline', 'c.json'], /one result file/],
    [['r.json', '--baseline', 'o.json', '--max-regression', 'x'], /percentage/],
    [['r.json', '--baseline', 'o.json', '--suite', 'smoke'], /unknown option "--suite"/],
    [['r.json', '--baseline', 'o.json', '--allow', 'regressed'], /--allow: expected a list of missing, invalid, incomparable, inconclusive/],
  ])('rejects %j', (argv, message) => {
    const p = parseGateArgs(argv);
    expect(p.kind).toBe('error');
    if (p.kind === 'error') expect(p.message).toMatch(message);
  });
});
