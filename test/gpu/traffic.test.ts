import { describe, expect, test } from 'vitest';
import { type ForwardOps, GpuModel, forwardTraffic } from '../../src/model/model';
import { PRESETS } from '../../src/model/presets';
import { dataBytes } from '../../src/core/tensor';
import { decodeTraffic } from '../../src/model/traffic';
import type { Arch } from '../../src/model/types';
import type { WeightFormat } from '../../src/core/tensor';
import { MODEL_FORMATS, type ModelFormat, modelColsMultiple } from '../../src/model/formats/mix';
import { KV_TYPES, kvElementBytes } from '../../src/core/kv';
import { sharedDevice } from './helpers';

/** Cache positions of the tiny models: room for a prefill of PROMPT and the positions checked below. */
const CTX = 12;
const PROMPT = 4;
/** Decode positions checked: an empty cache and a partly filled one (odd, not a tile multiple). */
const POSITIONS = [0, 7];

const arch = (name: string): Arch => {
  const a = PRESETS[name];
  if (!a) throw new Error(`no preset ${name}`);
  return a;
};

/**
 * The traffic attached to the built ops (forwardTraffic) against the pure composition decodeTraffic:
 * they share the per-kernel functions, so this holds the composition to what build() really binds (split
 * parts, tied head, biases, batch), and catches an op built without its count.
 */
describe('forwardTraffic of the built decode ops equals decodeTraffic', () => {
  const { withRes } = sharedDevice();
  // Every format each model can hold (tiny-tied's hidden 96 takes no 256-weight k-quant blocks).
  const cases = ['tiny', 'tiny-tied'].flatMap((name) => MODEL_FORMATS.filter((f) => arch(name).hidden % modelColsMultiple(f) === 0).map((format) => ({ name, format })));

  test.each(cases)('$name in $format, batch 1 and 4', async ({ name, format }) => {
    await withRes(async (device, res) => {
      const a = arch(name);
      const model = await GpuModel.create(device, res, { arch: a, format, maxRows: PROMPT, seqCap: 4, ctxCap: CTX, logCap: 2 });
      for (const batch of [1, 4]) {
        const f = await model.forward('decode', batch);
        for (const pos of POSITIONS) {
          expect(forwardTraffic(f, pos).read, `batch ${batch} pos ${pos}`).toBe(decodeTraffic(a, format, batch, pos).read);
        }
      }
    });
  });

  test.each<[string, WeightFormat, ModelFormat]>([
    ['tiny', 'q4_0', 'q4_0'],
    ['tiny-tied', 'f16', 'f16'],
    ['tiny', 'q4_k', 'q4_k_m'],
  ])('%s in %s with every weight split into row parts', async (name, partFormat, format) => {
    await withRes(async (device, res) => {
      const a = arch(name);
      // 19 rows of `hidden` columns per part: QKV splits at 19, 38, ...; gate/up at 18, 36, ... (pairs).
      const maxBindingBytes = 19 * dataBytes(partFormat, a.hidden);
      const model = await GpuModel.create(device, res, { arch: a, format, maxRows: PROMPT, seqCap: 2, ctxCap: CTX, logCap: 2, maxBindingBytes });
      for (const batch of [1, 2]) {
        const f = await model.forward('decode', batch);
        for (const pos of POSITIONS) {
          const split = decodeTraffic(a, format, batch, pos, maxBindingBytes).read;
          expect(forwardTraffic(f, pos).read, `batch ${batch} pos ${pos}`).toBe(split);
          // Splitting costs only re-reads of x and norm weights: more than unsplit, never less.
          expect(split).toBeGreaterThan(decodeTraffic(a, format, batch, pos).read);
        }
      }
    });
  });
});

/** The same with each KV-cache type: the built ops count K and V at the cache's element size, as decodeTraffic does. */
describe.each(KV_TYPES)('with a %s KV cache', (kvType) => {
  const { withRes } = sharedDevice();

  test('tiny in q8_0: decode ops equal decodeTraffic, a prefill reads K and V at the element size', async () => {
    await withRes(async (device, res) => {
      const a = arch('tiny');
      const model = await GpuModel.create(device, res, { arch: a, format: 'q8_0', maxRows: PROMPT, seqCap: 3, ctxCap: CTX, logCap: 2, kvType });
      for (const batch of [1, 3]) {
        const f = await model.forward('decode', batch);
        for (const pos of POSITIONS) {
          expect(forwardTraffic(f, pos), `batch ${batch} pos ${pos}`).toEqual(expect.objectContaining({ read: decodeTraffic(a, 'q8_0', batch, pos, undefined, kvType).read }));
        }
      }
      const f = await model.forward('prefill', PROMPT);
      expect(forwardTraffic(f, 3).read - forwardTraffic(f, 2).read).toBe(2 * a.layers * a.kvHeads * a.headDim * kvElementBytes(kvType));
    });
  });
});

describe('forwardTraffic of the built prefill ops', () => {
  const { withRes } = sharedDevice();

  test.each(['tiny', 'tiny-tied'])('%s: one more cached position reads one more K and V row per layer and kv head', async (name) => {
    await withRes(async (device, res) => {
      const a = arch(name);
      const model = await GpuModel.create(device, res, { arch: a, format: 'f32', maxRows: PROMPT, seqCap: 1, ctxCap: CTX, logCap: 2 });
      const f = await model.forward('prefill', PROMPT);
      expect(f.copyLastRow).not.toBeNull();
      const row = 2 * a.layers * a.kvHeads * a.headDim * 4;
      expect(forwardTraffic(f, 3).read - forwardTraffic(f, 2).read).toBe(row);
      // Past the cache the shaders clamp: ropeKv drops the rows, attention re-reads the last positions.
      expect(forwardTraffic(f, CTX).read).toBeLessThan(forwardTraffic(f, CTX - PROMPT).read);
    });
  });
});

test('forwardTraffic throws when a work carries no cost', () => {
  const bare = { label: 'untracked', encode: () => {} };
  const costed = { label: 'costed', encode: () => {}, cost: () => ({ read: 1, written: 2, flops: 3 }) };
  const linears = { qkv: [bare], o: [bare], gateUp: [bare], down: [bare], head: [bare] };
  const f: ForwardOps = { body: [costed, bare], copyLastRow: null, head: [], dispatchesPerLayer: 1, linears };
  expect(() => forwardTraffic(f, 0)).toThrow(/no cost on work\(s\) untracked$/);
  expect(forwardTraffic({ ...f, body: [costed], head: [costed] }, 0)).toEqual({ read: 2, written: 4 });
});
