import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { ScalerMetric } from '../../../src/domain/keys.js';
import { createScalerMetrics, forgetVariant, observeTick, recordScaling, recordVariant } from '../../../src/metrics/scaler.js';

/** The exposition lines of one metric family, without HELP/TYPE. */
async function series(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).sort();
}

const sample = { variant: 'granite-13b', namespace: 'models', accelerator: 'A100', desiredReplicas: 3, currentReplicas: 2, predictedItlMs: 21.5, predictedTtftMs: 310, cost: 540 };

describe('scaler metrics', () => {
  test('upstream names and labels, desired ratio, predictions and cost', async () => {
    const m = createScalerMetrics();
    recordVariant(m, sample);
    const labels = '{variant_name="granite-13b",namespace="models",accelerator_type="A100"}';
    assert.deepEqual(await series(m.registry, ScalerMetric.desiredReplicas), [`inferno_desired_replicas${labels} 3`]);
    assert.deepEqual(await series(m.registry, ScalerMetric.currentReplicas), [`inferno_current_replicas${labels} 2`]);
    assert.deepEqual(await series(m.registry, ScalerMetric.desiredRatio), [`inferno_desired_ratio${labels} 1.5`]);
    assert.deepEqual(await series(m.registry, ScalerMetric.predictedItl), [`inferno_predicted_itl_ms${labels} 21.5`]);
    assert.deepEqual(await series(m.registry, ScalerMetric.predictedTtft), [`inferno_predicted_ttft_ms${labels} 310`]);
    assert.deepEqual(await series(m.registry, ScalerMetric.cost), [`inferno_cost${labels} 540`]);
  });

  test('ratio equals desired when current is 0 (upstream 1df5168)', async () => {
    const m = createScalerMetrics();
    recordVariant(m, { ...sample, currentReplicas: 0, desiredReplicas: 2 });
    assert.match((await series(m.registry, ScalerMetric.desiredRatio))[0] ?? '', / 2$/);
  });

  test('a new accelerator replaces the old series; unknown predictions are removed, not left stale', async () => {
    const m = createScalerMetrics();
    recordVariant(m, sample);
    recordVariant(m, { ...sample, accelerator: 'H100', predictedItlMs: undefined, predictedTtftMs: Number.NaN, cost: undefined });
    const desired = await series(m.registry, ScalerMetric.desiredReplicas);
    assert.equal(desired.length, 1);
    assert.match(desired[0] ?? '', /accelerator_type="H100"/);
    assert.deepEqual(await series(m.registry, ScalerMetric.predictedItl), []);
    assert.deepEqual(await series(m.registry, ScalerMetric.predictedTtft), []);
    assert.deepEqual(await series(m.registry, ScalerMetric.cost), []);
    forgetVariant(m, 'models', 'granite-13b');
    assert.deepEqual(await series(m.registry, ScalerMetric.currentReplicas), []);
  });

  test('scaling counter counts changes by direction and reason, not "none"', async () => {
    const m = createScalerMetrics();
    recordScaling(m, { variant: 'granite-13b', namespace: 'models', direction: 'up', reason: 'LoadIncrease' });
    recordScaling(m, { variant: 'granite-13b', namespace: 'models', direction: 'up', reason: 'LoadIncrease' });
    recordScaling(m, { variant: 'granite-13b', namespace: 'models', direction: 'down', reason: 'LoadDecrease' });
    recordScaling(m, { variant: 'granite-13b', namespace: 'models', direction: 'none', reason: 'Steady' });
    assert.deepEqual(await series(m.registry, ScalerMetric.replicaScaling), [
      'inferno_replica_scaling_total{variant_name="granite-13b",namespace="models",direction="down",reason="LoadDecrease"} 1',
      'inferno_replica_scaling_total{variant_name="granite-13b",namespace="models",direction="up",reason="LoadIncrease"} 2',
    ]);
  });

  test('tick duration histogram per phase', async () => {
    const m = createScalerMetrics();
    observeTick(m, 'total', 0.3);
    observeTick(m, 'solve', 0.02);
    const lines = await series(m.registry, `${ScalerMetric.tickDuration}_count`);
    assert.deepEqual(lines, ['inferno_tick_duration_seconds_count{phase="solve"} 1', 'inferno_tick_duration_seconds_count{phase="total"} 1']);
  });

  test('two instances on private registries do not clash', () => {
    createScalerMetrics();
    createScalerMetrics();
    assert.throws(() => {
      const r = new Registry();
      createScalerMetrics(r);
      createScalerMetrics(r);
    }, /already been registered/);
  });
});
