// The HorizontalPodAutoscaler algorithm of the baselines, against the cases kube-controller-manager's
// replica calculator and behavior code distinguish.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodSample } from '../../../src/sim/hpa.js';
import { DefaultHpaBehavior, HpaState, externalPerPodReplicas, podMetricReplicas } from '../../../src/sim/hpa.js';

const ready = (...values: number[]): PodSample[] => values.map((value) => ({ kind: 'ready', value }));

describe('HPA replica calculation', () => {
  test('ceil(ratio × ready pods) outside the 10 % tolerance; the current count within it', () => {
    assert.equal(podMetricReplicas(ready(30, 30), 20, 2, 0.1), 3);
    assert.equal(podMetricReplicas(ready(21, 21), 20, 2, 0.1), 2);
    assert.equal(podMetricReplicas(ready(5, 5), 20, 2, 0.1), 1);
  });

  test('pods without metrics: at the target on a scale-down, at 0 on a scale-up; a reversed direction means no change', () => {
    const missing: PodSample = { kind: 'missing' };
    // up: 2 × 30 + 0 over 3 pods = 20 → exactly the target: no change
    assert.equal(podMetricReplicas([...ready(30, 30), missing], 20, 3, 0.1), 3);
    // up: 2 × 40 + 0 over 3 pods = 26.7 → ceil(1.33 × 3) = 4
    assert.equal(podMetricReplicas([...ready(40, 40), missing], 20, 3, 0.1), 4);
    // down: 2 × 2 + 20 over 3 = 8 → ceil(0.4 × 3) = 2
    assert.equal(podMetricReplicas([...ready(2, 2), missing], 20, 3, 0.1), 2);
    // pending pods are ignored altogether
    assert.equal(podMetricReplicas([...ready(30, 30), { kind: 'pending' }], 20, 3, 0.1), 3);
  });

  test('external AverageValue: total / target unless within tolerance of the pods there are', () => {
    assert.equal(externalPerPodReplicas(50, 5, 4, 0.1), 10);
    assert.equal(externalPerPodReplicas(21, 5, 4, 0.1), 4);
    assert.equal(externalPerPodReplicas(0, 5, 4, 0.1), 0);
  });
});

describe('HPA behavior (autoscaling/v2 defaults)', () => {
  test('scale-down takes the highest recommendation of the last 300 s', () => {
    const h = new HpaState(DefaultHpaBehavior);
    assert.equal(h.normalize(0, 6, 6, 1, 20), 6);
    assert.equal(h.normalize(15_000, 6, 2, 1, 20), 6);
    assert.equal(h.normalize(290_000, 6, 2, 1, 20), 6);
    assert.equal(h.normalize(301_000, 6, 2, 1, 20), 2);
  });

  test('scale-up at most max(+4 pods, ×2) per 15 s, counting what was added in the period', () => {
    const h = new HpaState(DefaultHpaBehavior);
    assert.equal(h.normalize(0, 1, 20, 1, 50), 5);
    assert.equal(h.normalize(5_000, 5, 20, 1, 50), 5, 'the period that added 4 is not over');
    assert.equal(h.normalize(16_000, 5, 20, 1, 50), 10);
    assert.equal(h.normalize(31_000, 10, 20, 1, 50), 20);
    assert.equal(h.normalize(46_000, 20, 100, 1, 50), 40);
    assert.equal(h.normalize(61_000, 40, 100, 1, 50), 50, 'maxReplicas');
  });

  test('min and max replicas bound the result', () => {
    const h = new HpaState(DefaultHpaBehavior);
    assert.equal(h.normalize(0, 3, 0, 2, 10), 3);
    assert.equal(h.normalize(400_000, 3, 0, 2, 10), 2);
  });
});
