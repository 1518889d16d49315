import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../bench/args';
import { modelFileProblem, modelFilesProblem, namedModelFiles, openModelFiles } from '../../bench/model-files';
import { defaultRunRequest } from '../../src/run/request';
import { parsePageQuery } from '../../src/runtime/request-text';

function run(argv: string[]) {
  const p = parseArgs(argv);
  if (p.kind !== 'run') throw new Error(p.kind === 'error' ? p.message : 'help');
  return p.options;
}

function usageError(argv: string[]): string {
  const p = parseArgs(argv);
  if (p.kind !== 'error') throw new Error(`expected a usage error for ${argv.join(' ')}`);
  return p.message;
}

describe('--gguf, --prompt-text and --prompt-tokens on the command line', () => {
  test('a model file is named by its base name in the request; its path stays on the command line', () => {
    const o = run(['--gguf', 'models/tiny q4.gguf', '--prompt-tokens', '1,2,3', '--gen', '16']);
    expect(o.request.generation).toEqual({ models: [{ gguf: 'tiny q4.gguf' }], promptTokens: [1, 2, 3], genTokens: 16 });
    expect(o.modelFiles).toEqual([{ name: 'tiny q4.gguf', path: join(process.cwd(), 'models', 'tiny q4.gguf') }]);
  });

  test('alongside --models and --model, after them; each --gguf is one file (no comma splitting)', () => {
    const o = run(['--models', 'tiny', '--gguf', '/m/a,b.gguf', '--model', 'tiny-tied', '--gguf', '/m/c.gguf']);
    expect(o.request.generation.models).toEqual(['tiny', 'tiny-tied', { gguf: 'a,b.gguf' }, { gguf: 'c.gguf' }]);
    expect(o.modelFiles.map((f) => f.path)).toEqual(['/m/a,b.gguf', '/m/c.gguf']);
  });

  test('a text prompt keeps its text exactly; --prompt still means prompt lengths', () => {
    const o = run(['--gguf', 'x.gguf', '--prompt-text', '  Hello,\n"world" ', '--prompt', '512']);
    expect(o.request.generation).toMatchObject({ promptText: '  Hello,\n"world" ', promptLens: [512] });
  });

  test('token ids keep their order and repeats', () => {
    expect(run(['--gguf', 'x.gguf', '--prompt-tokens', '7, 7,0,4294967295']).request.generation.promptTokens).toEqual([7, 7, 0, 4294967295]);
  });

  test('no model file: nothing changes', () => {
    expect(run([]).modelFiles).toEqual([]);
    expect(namedModelFiles(defaultRunRequest())).toEqual({ ok: true, request: defaultRunRequest(), files: [] });
  });

  test.each([
    [['--prompt-text', 'Hi'], /^--prompt-text: a prompt is read with a model file's vocabulary and no model file is given \(--gguf FILE/],
    [['--models', 'tiny', '--prompt-tokens', '1,2'], /^--prompt-tokens: a prompt is read with a model file's vocabulary/],
    [['--gguf', 'a.gguf', '--prompt-text', 'Hi', '--prompt-tokens', '1'], /^--prompt-text: give the prompt as --prompt-text or as --prompt-tokens, not both/],
    [['--gguf', 'a.gguf', '--prompt-tokens', '1,x'], /^--prompt-tokens: "x" is not a token id/],
    [['--gguf', 'a.gguf', '--prompt-tokens', '1,,2'], /^--prompt-tokens: expected comma-separated token ids/],
    [['--gguf', 'a.gguf', '--prompt-tokens', '4294967296'], /^--prompt-tokens: 4294967296 is outside \[0, 4294967295\]/],
    [['--gguf', 'a.gguf', '--prompt-tokens', Array.from({ length: 32769 }, () => '1').join(',')], /^--prompt-tokens: 32769 tokens is more than 32768/],
    [['--gguf', 'a.gguf', '--prompt-text', '   '], /^--prompt-text: empty/],
    [['--gguf', 'a.gguf', '--prompt', 'Once upon a time'], /^--prompt: expected prompt lengths such as 512 \(pp512\), got "Once upon a time"; a text prompt is --prompt-text TEXT/],
    [['--gguf', 'a.gguf', '--gguf', 'a.gguf'], /^--gguf: "a\.gguf" given more than once/],
    [['--gguf', 'one/a.gguf', '--gguf', 'two/a.gguf'], /^--gguf: two model files are named a\.gguf \(.*one\/a\.gguf, .*two\/a\.gguf\): rename or link one/],
    [['--gguf', ''], /^--gguf: expected a file name or path/],
    [['--gguf', 'a.gguf', '--webdriver', 'http://grid.example:4444'], /^--gguf with --webdriver http:\/\/grid\.example:4444: WebDriver hands the page a file by its path.*Use --connect/],
    [['--models', '[{"gguf":"a.gguf","x":1}]'], /^--models\[0\]: model: a model file is \{"gguf": "FILE"\} alone/],
  ])('%j is a usage error', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });

  test('a local WebDriver endpoint and Playwright servers take model files', () => {
    expect(run(['--gguf', 'a.gguf', '--webdriver', 'http://127.0.0.1:9515']).modelFiles).toHaveLength(1);
    expect(run(['--gguf', 'a.gguf', '--connect', 'ws://gpu-box:3000/abc']).modelFiles).toHaveLength(1);
  });
});

describe('the same options in the page address', () => {
  test('gguf repeats; names are kept as given', () => {
    const p = parsePageQuery('?gguf=a.gguf&gguf=b%20c.gguf&prompt-tokens=1,2&models=tiny');
    expect(p.ok && p.value.request.generation).toEqual({ models: ['tiny', { gguf: 'a.gguf' }, { gguf: 'b c.gguf' }], promptTokens: [1, 2] });
  });

  test.each([
    ['?prompt-text=hi', /^prompt-text: a prompt is read with a model file's vocabulary and no model file is given \(gguf FILE, or pick one in the page\)/],
    ['?gguf=a.gguf&prompt-text=hi&prompt-tokens=1', /^prompt-text: give the prompt as prompt-text or as prompt-tokens, not both/],
    ['?gguf=a.gguf&prompt=hello', /^prompt: expected prompt lengths .* a text prompt is prompt-text TEXT, token ids are prompt-tokens LIST/],
    ['?gguf=a%0Ab.gguf', /^gguf: "a\\nb\.gguf" contains control characters/],
  ])('%s is rejected', (search, message) => {
    const p = parsePageQuery(search);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toMatch(message);
  });
});

describe('model files on this machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenbench-model-files-'));
  const file = join(dir, 'm.gguf');
  // GGUF's magic, then bytes equal to their offsets.
  writeFileSync(file, Uint8Array.from({ length: 100 }, (_, i) => (i < 4 ? 'GGUF'.charCodeAt(i) : i)));
  mkdirSync(join(dir, 'folder.gguf'));

  test('a readable file has no problem; a missing one, a folder and an unreadable one are named', () => {
    expect(modelFileProblem({ name: 'm.gguf', path: file })).toBeNull();
    expect(modelFileProblem({ name: 'no.gguf', path: join(dir, 'no.gguf') })).toBe(`--gguf ${join(dir, 'no.gguf')}: no such file`);
    expect(modelFilesProblem([{ name: 'm.gguf', path: file }, { name: 'folder.gguf', path: join(dir, 'folder.gguf') }])).toBe(`--gguf ${join(dir, 'folder.gguf')}: not a file`);
    const locked = join(dir, 'locked.gguf');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0);
    // root reads anything: the check is only meaningful for other users.
    if (process.getuid?.() !== 0) expect(modelFileProblem({ name: 'locked.gguf', path: locked })).toMatch(/not readable/);
  });

  test('a file that does not start with GGUF\'s magic is named before anything runs', () => {
    const notes = join(dir, 'notes.gguf');
    writeFileSync(notes, 'not a model');
    expect(modelFileProblem({ name: 'notes.gguf', path: notes })).toBe(`--gguf ${notes}: not a GGUF file (it starts with 0x6e 0x6f 0x74 0x20, not "GGUF")`);
    const short = join(dir, 'short.gguf');
    writeFileSync(short, 'GG');
    expect(modelFileProblem({ name: 'short.gguf', path: short })).toBe(`--gguf ${short}: not a GGUF file (2 bytes is too short to hold the magic "GGUF")`);
  });

  test('the Node resolver reads ranges by name and closes what it opened', async () => {
    const opened = openModelFiles([{ name: 'm.gguf', path: file }]);
    const source = await opened.files('m.gguf');
    expect(source.name).toBe('m.gguf');
    expect(source.size).toBe(100);
    expect([...(await source.read(10, 5))]).toEqual([10, 11, 12, 13, 14]);
    await expect(opened.files('other.gguf')).rejects.toThrow(/model file "other\.gguf": not named on the command line/);
    await opened.close();
    await expect(source.read(0, 1)).rejects.toThrow();
  });
});
