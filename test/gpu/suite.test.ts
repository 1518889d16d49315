import { describe, expect, test } from 'vitest';
import { nodeRuntime } from '../../src/runtime/dawn';
import { parseResult } from '../../src/schema/result';
import { type Progress, runSuite } from '../../src/run/runner';
import { resultOk } from '../../src/result/verdict';
import { type TuneCache, cacheUpdates } from '../../src/run/tune/tuner';
import { testGpu } from './helpers';

/** The whole smoke suite on SwiftShader takes minutes on a 2-core machine: a behaviour test, not a timed one. */
const WHOLE_SUITE_MS = 600_000;

describe('the smoke suite in Node through Dawn', () => {
  test('runs every phase, verifies every kernel and produces a schema-valid result', { timeout: WHOLE_SUITE_MS }, async () => {
    const progress: Progress[] = [];
    const phases: string[] = [];
    const result = await runSuite(testGpu(), { suite: 'smoke', runtime: nodeRuntime() }, {
      onProgress: (p) => progress.push(p),
      onPhase: (p) => phases.push(`${p.id}:${p.state}`),
    });
    const parsed = parseResult(JSON.parse(JSON.stringify(result)));
    expect(parsed.ok, parsed.ok ? '' : parsed.error).toBe(true);
    expect(result.status).toBe('completed');
    expect(result.errors).toEqual([]);
    expect(phases).toEqual(['roofline:completed', 'matmul:completed', 'generation:completed']);
    const ids = result.phases.flatMap((p) => p.measurements.map((m) => `${m.id}:${m.state}`));
    const f16 = result.environment?.deviceFeatures.includes('shader-f16') ? 'ok' : 'skipped';
    // No --kv-type: the run resolved it by the adapter and wrote it into the result.
    expect(result.config.generation.kvType).toBe(f16 === 'ok' ? 'f16' : 'f32');
    expect(ids).toEqual([
      'read-bandwidth:ok',
      'copy-bandwidth:ok',
      'fma-f32:ok',
      `fma-f16:${f16}`,
      'matmul-f32-64x64x64:ok',
      'matmul-f32-127x129x131:ok',
      'matmul-f16-sgmat-80x144x112:skipped',
    ]);
    // No silent skip: SwiftShader has no subgroup matrices, and the result says what would enable them.
    const sgmat = result.phases[1]?.measurements.find((m) => m.id === 'matmul-f16-sgmat-80x144x112');
    expect(sgmat?.state === 'skipped' && sgmat.reason).toMatch(/^chromium-experimental-subgroup-matrix not supported by this adapter.*allow_unsafe_apis/);
    expect(result.verification.state).toBe('passed');
    expect(resultOk(result)).toBe(true);
    // Drift calibration ran at both ends (flagging is informational on a CPU-emulated adapter).
    expect(result.drift?.startGflops).toBeGreaterThan(0);
    expect(result.drift?.endGflops).toBeGreaterThan(0);
    // SwiftShader must be labelled as software.
    expect(result.environment?.software.isSoftware).toBe(true);
    // With timestamp-query the timer must use it: a silent fall-back to wall clock would hide a bug.
    const hasTimestamps = result.environment?.deviceFeatures.includes('timestamp-query');
    expect(result.timer?.source).toBe(hasTimestamps ? 'gpu-timestamp' : 'wall-clock');
    for (const m of result.phases.flatMap((p) => p.measurements)) {
      if (m.state !== 'ok') continue;
      expect(m.timing.samplesNs).toHaveLength(result.config.reps);
      expect(m.metric.median).toBeGreaterThan(0);
      expect(m.metric.p10).toBeLessThanOrEqual(m.metric.median);
      expect(m.metric.median).toBeLessThanOrEqual(m.metric.p90);
    }
    // Token workloads: every check passed before timing; the tiny preset ran in every format.
    const gen = result.phases[2];
    expect(gen?.checks?.length).toBeGreaterThan(4);
    expect(gen?.checks?.every((c) => c.verification.state === 'passed')).toBe(true);
    expect(gen?.workloads?.map((w) => `${w.id}:${w.state}`)).toEqual(['tiny-f32:ok', 'tiny-f16:ok', 'tiny-q8_0:ok', 'tiny-q4_k_m:ok']);
    for (const w of gen?.workloads ?? []) {
      expect(w.tests.map((t) => t.name)).toEqual(['pp16', 'tg8', 'tg8 b4']);
      expect(w.verification?.state).toBe('passed');
      expect(w.accounting?.weightBytes).toBeGreaterThan(0);
      // Fused layer: 6 dispatches; a step adds embedding, final norm, lm_head, argmax and the advance. In
      // q4_k_m, tiny's last layer gives attn_v q6_k: its qkv is two dispatches, one per format.
      const split = w.format === 'q4_k_m' ? 1 : 0;
      expect(w.accounting?.dispatchesPerLayer).toBe(6 + split);
      expect(w.accounting?.dispatchesPerDecodeStep).toBe(6 * w.arch.layers + split + 5);
      for (const t of w.tests) {
        expect(t.wall.median).toBeGreaterThan(0);
        expect(t.gpu?.median ?? 1).toBeGreaterThan(0);
        if (t.kind === 'decode') {
          // Per-token latency only from unquantised per-step timestamps; otherwise n/a with the reason.
          if (result.timer?.source === 'gpu-timestamp' && !result.timer.quantized) expect(t.itlNs?.p50).toBeGreaterThan(0);
          else expect([t.itlNs, t.itlNote?.startsWith('n/a: per-token latency needs per-token samples')]).toEqual([undefined, true]);
          expect(t.tpotMs?.wall).toBeGreaterThan(0);
        } else {
          expect(t.ttftMs?.wall).toBeGreaterThan(0);
        }
        expect(t.bounds?.bandwidth).toBeGreaterThan(0);
      }
      if (hasTimestamps) expect(w.profile?.decode.length).toBeGreaterThan(3);
      // Decode GEMV bandwidth of each projection, against this run's read ceiling.
      expect(w.gemv?.map((g) => g.role)).toEqual(['qkv', 'o', 'gateUp', 'down', 'head']);
      for (const g of w.gemv ?? []) {
        expect(g.gbps).toBeCloseTo(g.readBytes / g.timing.perUnitNs.median, 6);
        expect(g.ofReadCeiling).toBeGreaterThan(0);
      }
    }
    // Autotuning: every linear of every workload at every token tile it runs at (decode batches 1 and 4,
    // prompt 16 -> tiles 1, 4, 8; the head after a prefill and in decode -> 1, 4), two candidates each.
    expect(result.tuning?.mode).toBe('tuned');
    const linear = result.tuning?.entries.filter((e) => e.family === 'linear') ?? [];
    expect(linear).toHaveLength(4 * (4 * 3 + 2));
    for (const e of linear) {
      expect(e.source).toBe('measured');
      // Token tile 8 (the 16-token prompt) compares the default with a tiled GEMM, the others with a subgroup GEMV.
      const second = / 16x\d+->/.test(e.key) ? 'tiled.32x64.k32.t4x4' : 'wg64.r2.v1.subgroup';
      expect(e.candidates.map((c) => c.id), e.key).toEqual(['wg64.r2.v1.tree', second]);
      expect(e.candidates.every((c) => c.state === 'ok' && (c.medianNs ?? 0) > 0)).toBe(true);
      expect(e.candidates.map((c) => c.id)).toContain(e.chosen);
    }
    // The matmul phase tunes each f32 shape; the measurement names the variant it ran.
    const mm = result.tuning?.entries.filter((e) => e.family === 'matmul_f32') ?? [];
    expect(mm.map((e) => e.key)).toEqual(['64x64x64', '127x129x131']);
    for (const e of mm) expect(e.candidates.every((c) => c.state === 'ok')).toBe(true);
    const mmRun = result.phases[1]?.measurements.filter((m) => m.id.startsWith('matmul-f32')) ?? [];
    expect(mmRun.map((m) => m.params.variant)).toEqual(mm.map((e) => e.chosen));
    // Decode attention per batch (1, 4): timed for the first format, then cached (same shapes) and re-checked.
    const attention = result.tuning?.entries.filter((e) => e.family === 'attention_decode') ?? [];
    expect(attention.map((e) => e.source)).toEqual(['measured', 'measured', ...Array(6).fill('cache')]);
    // Progress reaches 100% and the ETA is known after the first step.
    expect(progress.at(-1)?.fraction).toBe(1);
    expect(progress.filter((p) => p.stepsDone > 0).every((p) => p.etaMs !== null)).toBe(true);
  });

  test('cancel stops between steps and keeps what finished', async () => {
    const signal = { cancelled: false };
    const result = await runSuite(
      testGpu(),
      { suite: 'smoke', runtime: nodeRuntime() },
      {
        onProgress: (p) => {
          if (p.stepsDone === 2) signal.cancelled = true;
        },
      },
      signal,
    );
    expect(result.status).toBe('cancelled');
    expect(result.phases.map((p) => p.state)).toEqual(['cancelled', 'skipped', 'skipped']);
    const kept = result.phases[0]?.measurements ?? [];
    expect(kept.map((m) => m.state)).toEqual(['ok', 'ok']);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
    expect(resultOk(result)).toBe(false);
  });

  test('tuning: a second run reuses the cached choices after checking them; tune off runs the defaults', { timeout: WHOLE_SUITE_MS }, async () => {
    const overrides = { generation: { formats: ['q4_0' as const], batches: [1], promptLens: [4], genTokens: 2, reps: 1 } };
    const run = (tune: { enabled: boolean; cache?: TuneCache }) => runSuite(testGpu(), { suite: 'smoke', runtime: nodeRuntime(), overrides, tune });
    const first = await run({ enabled: true });
    // qkv, o, gate/up, down at tiles 1 (decode) and 4 (prompt of 4); the head at tile 1.
    expect(first.tuning?.entries.filter((e) => e.family === 'linear')).toHaveLength(9);
    const cache = cacheUpdates(first.tuning);
    expect(Object.keys(cache).length).toBeGreaterThanOrEqual(9);
    const second = await run({ enabled: true, cache });
    const entries = second.tuning?.entries.filter((e) => e.family === 'linear') ?? [];
    expect(entries.map((e) => e.source)).toEqual(Array(9).fill('cache'));
    for (const e of entries) {
      expect(e.chosen).toBe(cache[e.cacheKey]?.chosen);
      expect(e.candidates).toHaveLength(1); // re-checked, not re-timed
      expect(e.candidates[0]?.state).toBe('ok');
    }
    expect(resultOk(second)).toBe(true);
    const off = await run({ enabled: false });
    expect(off.tuning).toMatchObject({ mode: 'disabled', entries: [] });
    expect(resultOk(off)).toBe(true);
    expect(parseResult(JSON.parse(JSON.stringify(off))).ok).toBe(true);
  });

  // One run for both settings (a smoke suite takes minutes on SwiftShader).
  test('forced wall-clock timing and an explicit --kv-type f16 (packed: SwiftShader has no shader-f16) run and are recorded as such', { timeout: WHOLE_SUITE_MS }, async () => {
    const result = await runSuite(testGpu(), {
      suite: 'smoke',
      runtime: nodeRuntime(),
      overrides: { forceWallClock: true, reps: 3, generation: { formats: ['q4_0'], batches: [1], promptLens: [4], genTokens: 2, reps: 1, kvType: 'f16' } },
      tune: { enabled: false },
    });
    expect(result.timer?.source).toBe('wall-clock');
    const m = result.phases[0]?.measurements[0];
    expect(m?.state).toBe('ok');
    if (m?.state === 'ok') expect(m.timing.source).toBe('wall-clock');
    expect(result.config.generation.kvType).toBe('f16');
    const gen = result.phases.find((p) => p.id === 'generation');
    expect(gen?.state).toBe('completed');
    const checks = gen?.checks ?? [];
    // rope_kv, rope_kv_norm, both attention kernels and the full forward ran on the f16 cache, and passed.
    expect(checks.filter((c) => /f16 (KV )?cache/.test(c.verification.method))).toHaveLength(5);
    for (const c of checks) expect(c.verification.state, c.verification.method).toBe('passed');
    expect(gen?.workloads?.map((w) => w.state)).toEqual(['ok']);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
  });

  test('no WebGPU gives a failed result with an actionable message, not an exception', async () => {
    const result = await runSuite(undefined, { suite: 'smoke', runtime: nodeRuntime() });
    expect(result.status).toBe('failed');
    expect(result.environment).toBeNull();
    expect(result.errors[0]?.message).toMatch(/WebGPU is not available/);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
  });
});
