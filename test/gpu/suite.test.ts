import { describe, expect, test } from 'vitest';
import { nodeRuntime } from '../../bench/dawn';
import { parseResult } from '../../src/result/schema';
import { type Progress, runSuite } from '../../src/suite/run';
import { resultOk } from '../../src/result/verdict';
import { testGpu } from './helpers';

describe('the smoke suite in Node through Dawn', () => {
  test('runs every phase, verifies every kernel and produces a schema-valid result', async () => {
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
    expect(ids).toEqual([
      'read-bandwidth:ok',
      'copy-bandwidth:ok',
      'fma-f32:ok',
      `fma-f16:${f16}`,
      'matmul-f32-64x64x64:ok',
      'matmul-f32-127x129x131:ok',
    ]);
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
    expect(gen?.workloads?.map((w) => `${w.id}:${w.state}`)).toEqual(['tiny-f32:ok', 'tiny-f16:ok', 'tiny-q8_0:ok', 'tiny-q4_0:ok']);
    for (const w of gen?.workloads ?? []) {
      expect(w.tests.map((t) => t.name)).toEqual(['pp16', 'tg8', 'tg8 b4']);
      expect(w.verification?.state).toBe('passed');
      expect(w.accounting?.weightBytes).toBeGreaterThan(0);
      // Fused layer: 6 dispatches; a step adds embedding, final norm, lm_head, argmax and the advance.
      expect(w.accounting?.dispatchesPerLayer).toBe(6);
      expect(w.accounting?.dispatchesPerDecodeStep).toBe(6 * w.arch.layers + 5);
      for (const t of w.tests) {
        expect(t.wall.median).toBeGreaterThan(0);
        expect(t.gpu?.median ?? 1).toBeGreaterThan(0);
        if (t.kind === 'decode') {
          expect(t.itlNs?.p50).toBeGreaterThan(0);
          expect(t.tpotMs?.wall).toBeGreaterThan(0);
        } else {
          expect(t.ttftMs?.wall).toBeGreaterThan(0);
        }
        expect(t.bounds?.bandwidth).toBeGreaterThan(0);
      }
      if (hasTimestamps) expect(w.profile?.decode.length).toBeGreaterThan(3);
    }
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

  test('forced wall-clock timing is recorded as such', async () => {
    const result = await runSuite(testGpu(), {
      suite: 'smoke',
      runtime: nodeRuntime(),
      overrides: { forceWallClock: true, reps: 3 },
    });
    expect(result.timer?.source).toBe('wall-clock');
    const m = result.phases[0]?.measurements[0];
    expect(m?.state).toBe('ok');
    if (m?.state === 'ok') expect(m.timing.source).toBe('wall-clock');
  });

  test('no WebGPU gives a failed result with an actionable message, not an exception', async () => {
    const result = await runSuite(undefined, { suite: 'smoke', runtime: nodeRuntime() });
    expect(result.status).toBe('failed');
    expect(result.environment).toBeNull();
    expect(result.errors[0]?.message).toMatch(/WebGPU is not available/);
    expect(parseResult(JSON.parse(JSON.stringify(result))).ok).toBe(true);
  });
});
