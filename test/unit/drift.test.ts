import { describe, expect, test } from 'vitest';
import { DRIFT_THRESHOLD, assessDrift } from '../../src/run/runner';

describe('clock / thermal drift', () => {
  test.each([
    [100, 100, 0, false],
    [100, 104.9, 0.049, false],
    [100, 94, -0.06, true],
    [100, 106, 0.06, true],
  ])('start %f → end %f GFLOP/s: change %f, flagged %s', (start, end, change, flagged) => {
    const d = assessDrift(start, end);
    expect(d.change).toBeCloseTo(change, 9);
    expect(d.flagged).toBe(flagged);
    expect(d.threshold).toBe(DRIFT_THRESHOLD);
  });

  test('the threshold is 5%', () => {
    expect(DRIFT_THRESHOLD).toBe(0.05);
  });
});
