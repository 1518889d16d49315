import { describe, expect, test } from 'vitest';
import { loadingLabel, parseLoadingLabel } from '../../src/run/files';
import { blobFiles } from '../../src/runtime/files';
import { loadView } from '../../src/ui/loading';

describe('the loading label: one format, written by the run and read by the page', () => {
  test.each([
    ['m.gguf', 0, 100],
    ['a: b · c.gguf', 4_900_000_000, 4_900_000_000],
  ])('%s %d/%d round-trips, also after the unit label', (name, loaded, total) => {
    expect(parseLoadingLabel(loadingLabel(name, loaded, total))).toEqual({ name, loaded, total });
    expect(parseLoadingLabel(`${name} (GGUF) · ${loadingLabel(name, loaded, total)}`)).toEqual({ name, loaded, total });
  });

  test.each(['tuning linear qkv', 'loading m.gguf: 5 / 4 bytes', 'loading m.gguf: x / 4 bytes'])('%s is not a loading step', (step) => {
    expect(parseLoadingLabel(step)).toBeNull();
  });
});

describe('the page loading bar', () => {
  test('bytes while loading, the label once loaded, hidden for other work', () => {
    const complete = new Set<string>();
    const files = ['m.gguf'];
    expect(loadView('m.gguf (GGUF) · reading the header', files, complete)).toEqual({ file: 'm.gguf', fraction: null, text: 'm.gguf (GGUF) · reading the header' });
    expect(loadView(`m.gguf (GGUF) · ${loadingLabel('m.gguf', 1536, 4096)}`, files, complete)).toEqual({
      file: 'm.gguf', fraction: 0.375, text: 'Loading m.gguf: 1.50 KiB of 4.00 KiB (37%)',
    });
    loadView(loadingLabel('m.gguf', 4096, 4096), files, complete);
    expect(loadView('m.gguf (GGUF) · tg16', files, complete)).toEqual({ file: 'm.gguf', fraction: 1, text: 'm.gguf loaded · m.gguf (GGUF) · tg16' });
    expect(loadView('tiny q4_0 · tg16', files, complete)).toBeNull();
  });
});

describe('model files in the worker', () => {
  const file = new File([Uint8Array.from({ length: 64 }, (_, i) => i)], 'm.gguf');

  test('a name resolves to its File, read in slices', async () => {
    const source = await blobFiles([file])('m.gguf');
    expect([source.name, source.size]).toEqual(['m.gguf', 64]);
    expect([...(await source.read(60, 10))]).toEqual([60, 61, 62, 63]);
  });

  test('a name not handed over is refused, naming what was', async () => {
    await expect(blobFiles([file])('other.gguf')).rejects.toThrow('model file "other.gguf" was not handed to the worker (files handed over: m.gguf)');
    await expect(blobFiles([])('other.gguf')).rejects.toThrow('(files handed over: none)');
  });
});
