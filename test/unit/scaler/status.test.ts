import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConditionType, MaxConditionMessage, rfc3339, setConditions } from '../../../src/scaler/status.js';

describe('status conditions', () => {
  const t0 = new Date('2026-11-02T10:00:00.250Z');
  const t1 = new Date('2026-11-02T10:00:30.000Z');

  test('lastTransitionTime moves only when the status changes; other conditions are kept; sorted by type', () => {
    const first = setConditions([], [
      { type: ConditionType.metricsAvailable, status: 'True', reason: 'MetricsFound', message: 'ok' },
      { type: ConditionType.actuated, status: 'True', reason: 'Scaled', message: '2 → 3' },
    ], t0);
    assert.deepEqual(first.map((c) => [c.type, c.lastTransitionTime]), [['Actuated', '2026-11-02T10:00:00Z'], ['MetricsAvailable', '2026-11-02T10:00:00Z']]);
    const second = setConditions(first, [
      { type: ConditionType.metricsAvailable, status: 'True', reason: 'MetricsFound', message: 'still ok' },
      { type: ConditionType.optimizationReady, status: 'False', reason: 'OptimizationFailed', message: 'no capacity' },
    ], t1);
    assert.deepEqual(second.map((c) => [c.type, c.status, c.lastTransitionTime, c.message]), [
      ['Actuated', 'True', '2026-11-02T10:00:00Z', '2 → 3'],
      ['MetricsAvailable', 'True', '2026-11-02T10:00:00Z', 'still ok'],
      ['OptimizationReady', 'False', '2026-11-02T10:00:30Z', 'no capacity'],
    ]);
    const third = setConditions(second, [{ type: ConditionType.metricsAvailable, status: 'False', reason: 'PrometheusError', message: 'down' }], t1);
    assert.equal(third.find((c) => c.type === 'MetricsAvailable')?.lastTransitionTime, '2026-11-02T10:00:30Z');
  });

  test('long messages are cut to the cap', () => {
    const [c] = setConditions([], [{ type: 'Actuated', status: 'False', reason: 'ApiError', message: 'x'.repeat(5000) }], t0);
    assert.equal(c?.message.length, MaxConditionMessage);
    assert.equal(rfc3339(t0), '2026-11-02T10:00:00Z');
  });
});
