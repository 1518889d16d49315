/** What a log (stderr that is not a terminal) gets of a run's progress steps. */
import { describe, expect, test } from 'vitest';
import { logsStep } from '../../bench/terminal';
import { loadingLabel } from '../../src/run/files';

describe('progress lines in a log', () => {
  const step = (loaded: number) => `m.gguf (GGUF) · ${loadingLabel('m.gguf', loaded, 1000)}`;

  test('a model file loading every percent gets a line per tenth and one at the end', () => {
    let last = 'm.gguf (GGUF) · reading the header';
    const written: number[] = [];
    for (let loaded = 10; loaded <= 1000; loaded += 10) {
      if (logsStep(step(loaded), last)) {
        written.push(loaded);
        last = step(loaded);
      }
    }
    expect(written).toEqual([10, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  test('every other new step gets its line; a repeated one does not', () => {
    expect(logsStep('tg16', 'pp16')).toBe(true);
    expect(logsStep('tg16', 'tg16')).toBe(false);
    expect(logsStep(step(110), step(100))).toBe(false);
    // Another file's loading is a new step.
    expect(logsStep(`n.gguf (GGUF) · ${loadingLabel('n.gguf', 5, 1000)}`, step(100))).toBe(true);
  });
});
