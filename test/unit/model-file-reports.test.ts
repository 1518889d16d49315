import { describe, expect, test } from 'vitest';
import { diffResults } from '../../src/result/compare';
import { headlineMetrics, tokenFigures, workloadKey } from '../../src/result/figures';
import { CSV_COLUMNS, formats, quoteText, tokenRows } from '../../src/result/formats';
import { gate } from '../../src/result/gate';
import { type BenchResult, type Workload, parseResult } from '../../src/schema/result';
import { tokenResult } from './token-fixture';

const SHA = 'ab12cd34ef56'.padEnd(64, '0');

/** The fixture's workload as if it had come from a model file, with a prompt and generated text. */
function fromFile(id = 'tiny-llama', sha256 = SHA, generated = 'Paris\u001b[31m <b>|x|</b>'): BenchResult {
  const r = tokenResult();
  const gen = r.phases[2]!;
  const w = gen.workloads![0]!;
  const file: Workload = {
    ...w,
    id,
    source: {
      kind: 'gguf', file: 'tiny q4_k_m.gguf', bytes: 5_000_000, sha256, architecture: 'llama', params: 94784,
      tensors: [{ type: 'F32', count: 5, bytes: 10_000 }, { type: 'Q4_K', count: 14, bytes: 4_000_000 }, { type: 'Q6_K', count: 2, bytes: 900_000 }],
    },
    text: { prompt: 'The capital of France is', promptTokens: [1, 450, 7483], generatedTokens: [3681, 13], generated },
    tests: w.tests.map((t) => (t.kind === 'decode' ? { ...t, generatedTokens: [3681, 13, 29871] } : t)),
  };
  gen.workloads = [file];
  return r;
}

describe('a model file in the reports', () => {
  test('the fixture is a valid result', () => {
    expect(parseResult(JSON.parse(JSON.stringify(fromFile()))).ok).toBe(true);
  });

  test('the token table names a file workload by its file, not by the model name inside it', () => {
    const rows = tokenRows(fromFile());
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.model).toBe('tiny q4_k_m.gguf');
    expect(tokenFigures(fromFile()).every((f) => f.model === 'tiny q4_k_m.gguf')).toBe(true);
  });

  test('text: source (file, size, sha256 prefix, architecture, tensor types) and the text, quoted with escapes', () => {
    const text = formats.text(fromFile());
    expect(text).toContain('model files:\n  tiny-llama: tiny q4_k_m.gguf · 4.77 MiB · sha256 ab12cd34ef56 · llama · 94.78 K params');
    expect(text).toContain('    tensor types: Q4_K ×14 (3.81 MiB), Q6_K ×2 (878.91 KiB), F32 ×5 (9.77 KiB)');
    expect(text).toContain('    prompt: "The capital of France is" (3 tokens)');
    // The terminal never receives the escape character itself.
    expect(text).toContain('    generated: "Paris\\u001b[31m <b>|x|</b>" (2 tokens: 3681,13)');
    expect(text).not.toContain('\u001b');
  });

  test('a prompt given as token ids is shown as ids', () => {
    const r = fromFile();
    r.phases[2]!.workloads![0]!.text!.prompt = null;
    expect(formats.text(r)).toContain('    prompt: token ids 1,450,7483 (3 tokens)');
  });

  test('markdown: a source table and a text table, with the text escaped', () => {
    const md = formats.md(fromFile());
    expect(md).toContain('| tiny-llama | tiny q4_k_m.gguf | 4.77 MiB | ab12cd34ef56 | llama | 94.78 K | Q4_K ×14 (3.81 MiB), Q6_K ×2 (878.91 KiB), F32 ×5 (9.77 KiB) |');
    expect(md).toContain('| workload | prompt | generated |');
    expect(md).toContain('&lt;b&gt;\\|x\\|&lt;/b&gt;');
    expect(md).not.toMatch(/<b>|\u001b/);
  });

  test('csv: file, sha256, architecture, prompt, generated text and each decode test\'s token ids', () => {
    const lines = formats.csv(fromFile()).split('\n');
    expect(lines[0]?.split(',').slice(-9, -3)).toEqual(['model_file', 'model_sha256', 'model_arch', 'prompt', 'generated_text', 'generated_tokens']);
    const col = (row: string[], name: string) => row[CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number])];
    const tg = (lines[2] as string).split(',');
    expect([col(tg, 'test'), col(tg, 'model_file'), col(tg, 'model_sha256'), col(tg, 'model_arch'), col(tg, 'prompt'), col(tg, 'generated_tokens')]).toEqual([
      'tg8', 'tiny q4_k_m.gguf', SHA, 'llama', 'The capital of France is', '3681 13 29871',
    ]);
    // Kernel rows leave the model columns empty.
    expect((lines.at(-2) as string).endsWith(',,,,,,')).toBe(true);
  });

  test('a synthetic result keeps its reports as they were', () => {
    expect(formats.text(tokenResult())).not.toContain('model files:');
    expect(formats.md(tokenResult())).not.toContain('| workload | prompt |');
  });

  test.each([
    ['a\u001bb', '"a\\u001bb"'],
    ['c1 \u009b here', '"c1 \\u009b here"'],
    ['line\nnext "q"', '"line\\nnext \\"q\\""'],
  ])('quoteText(%j) = %s', (input, out) => {
    expect(quoteText(input)).toBe(out);
  });
});

describe('comparing model files: by file name and SHA-256, whatever the workload is called', () => {
  test('the same file in two runs matches, under any workload id', () => {
    const a = fromFile('run-a');
    const b = fromFile('run-b');
    expect(workloadKey(a.phases[2]!.workloads![0]!)).toBe('tiny q4_k_m.gguf@ab12cd34ef56');
    expect(tokenFigures(a).map((f) => f.key)).toEqual(['tiny q4_k_m.gguf@ab12cd34ef56/pp16', 'tiny q4_k_m.gguf@ab12cd34ef56/tg8', 'tiny q4_k_m.gguf@ab12cd34ef56/tg8 b4']);
    const d = diffResults({ label: 'a', result: a }, { label: 'b', result: b });
    expect(d.rows.find((r) => r.key === 'tiny q4_k_m.gguf@ab12cd34ef56/tg8')?.name).toBe('tiny q4_k_m.gguf (sha256 ab12cd34ef56) tg8');
  });

  test('a different file of the same name never matches', () => {
    const d = diffResults({ label: 'a', result: fromFile() }, { label: 'b', result: fromFile('tiny-llama', 'ff'.repeat(32)) });
    expect(d.rows.filter((r) => r.unit === 'tok/s')).toEqual([]);
  });

  test('the baseline gate uses the same key, so another file is missing, not compared', () => {
    expect(headlineMetrics(fromFile()).map((h) => h.id)).toContain('tiny q4_k_m.gguf@ab12cd34ef56 tg8 tok/s');
    const report = gate(fromFile(), fromFile('tiny-llama', 'ff'.repeat(32)));
    expect(report.changes.find((m) => m.id === 'tiny q4_k_m.gguf@ab12cd34ef56 tg8 tok/s')?.verdict).toBe('missing');
  });
});
