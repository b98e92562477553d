import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdmissionRequest } from '../../../src/webhook/types.js';
import { validateConfigMap, validateOptimizer } from '../../../src/webhook/validate.js';
import { premium, snapshot, view } from '../../support/cluster.js';
import { DefaultNamespace, Label } from '../../../src/domain/keys.js';

const optimizer = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'granite-13b', namespace: 'models' },
  spec: { modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'A100', maxBatchSize: 32, atTokens: 512, alpha: '20.58', beta: '0.41', gamma: 164.64, delta: 0.0128125 }] }, ...spec },
  ...extra,
});

const request = (object: unknown, operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest => ({
  uid: 'u1', kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, operation, namespace: 'models', name: 'granite-13b', dryRun: false, object, oldObject: undefined,
});

describe('validate Optimizer', () => {
  test('admits a valid Optimizer (the seed\'s string numbers included)', () => {
    assert.deepEqual(validateOptimizer(request(optimizer({})), view()), { type: 'allow', warnings: [] });
  });

  test('denies an unknown accelerator, naming the field and the known ones', () => {
    const v = validateOptimizer(request(optimizer({ modelProfile: { accelerators: [{ acc: 'H200', maxBatchSize: 8, alpha: 1, beta: 0.1 }] } })), view());
    assert.ok(v.type === 'deny', JSON.stringify(v));
    assert.equal(v.code, 422);
    assert.match(v.message, /spec\.modelProfile\.accelerators\[0\]\.acc: accelerator "H200" is not in the accelerator catalog \(known: 2xA100, A100, H100, MI300X\)/);
  });

  test('lists every problem in one denial', () => {
    const v = validateOptimizer(request(optimizer({
      minReplicas: 4, maxReplicas: 2, serviceClass: 'Gold',
      modelProfile: { accelerators: [{ acc: 'A100', maxBatchSize: 0, alpha: 'fast', beta: 0.1 }, { acc: 'A100', maxBatchSize: 8, alpha: 1, beta: 0.1 }] },
    })), view());
    assert.ok(v.type === 'deny');
    for (const m of [
      /spec\.modelProfile\.accelerators\[0\]\.maxBatchSize: /,
      /spec\.modelProfile\.accelerators\[0\]\.alpha: expected a number or a numeric string/,
      /spec\.minReplicas: minReplicas 4 is greater than maxReplicas 2/,
      /spec\.modelProfile\.accelerators\[1\]\.acc: duplicate profile for accelerator "A100"/,
    ]) assert.match(v.message, m);
  });

  test('denies an SLO no listed accelerator can meet even at zero load, saying what the best one achieves', () => {
    const tight = snapshot({ classes: { byName: new Map([['Premium', { ...premium, targets: [{ ...premium.targets[0]!, itl: 10 }] }]]), byRef: new Map() } });
    const v = validateOptimizer(request(optimizer({})), view(tight));
    assert.ok(v.type === 'deny', JSON.stringify(v));
    assert.match(v.message, /ITL target 10 ms is out of reach: the best accelerator, A100, gives 20\.99 ms for a lone request/);
  });

  test('warns (soft) when only some accelerators miss the SLO', () => {
    const v = validateOptimizer(request(optimizer({ modelProfile: { accelerators: [
      { acc: 'A100', maxBatchSize: 32, alpha: 20.58, beta: 0.41 },
      { acc: 'H100', maxBatchSize: 32, alpha: 45, beta: 0.5 },
    ] } })), view());
    assert.equal(v.type, 'allow');
    assert.match(v.warnings.join('\n'), /H100 cannot meet the Premium SLO even at zero load \(ITL 45\.5 ms > 40 ms\)/);
  });

  test('denies unknown service class, missing model target, wrong kind; DELETE passes', () => {
    const noTarget = validateOptimizer(request(optimizer({ modelID: 'llama' })), view());
    assert.ok(noTarget.type === 'deny');
    assert.match(noTarget.message, /spec\.modelID: service class "Premium" has no target for model "llama"/);
    const gold = validateOptimizer(request(optimizer({ serviceClass: 'Gold' })), view());
    assert.ok(gold.type === 'deny');
    assert.match(gold.message, /spec\.serviceClass: service class "Gold" does not exist/);
    const wrong = validateOptimizer(request({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), view());
    assert.ok(wrong.type === 'deny');
    assert.match(wrong.message, /apiVersion/);
    assert.equal(validateOptimizer(request(null, 'DELETE'), view()).type, 'allow');
  });
});

describe('validate inferno ConfigMaps', () => {
  const cm = (role: string, data: Record<string, string>): AdmissionRequest => ({
    uid: 'u2', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, operation: 'UPDATE', namespace: 'inferno-system', name: 'c', dryRun: false, oldObject: undefined,
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { [Label.config]: role } }, data },
  });

  test('a broken service-class YAML is rejected with the key and line at fault', () => {
    const v = validateConfigMap(cm('service-classes', { 'premium.yaml': 'name: Premium\npriority: 1\ndata:\n  - {model: m, slo-itl: 40\n' }), DefaultNamespace);
    assert.ok(v.type === 'deny');
    assert.match(v.message, /data\["premium\.yaml"\]: invalid YAML at line \d+/);
  });

  test('schema problems inside an entry give the field path', () => {
    const v = validateConfigMap(cm('service-classes', { 'premium.yaml': 'name: Premium\npriority: 0\ndata:\n  - {model: m, slo-itl: -4}\n' }), DefaultNamespace);
    assert.ok(v.type === 'deny');
    assert.match(v.message, /data\["premium\.yaml"\]\.priority: priority runs from 1 \(highest\) to 100/);
    assert.match(v.message, /data\["premium\.yaml"\]\.data\[0\]\.slo-itl: must not be negative/);
    const acc = validateConfigMap(cm('accelerators', { A100: '{device: NVIDIA-A100-SXM4-80GB}' }), DefaultNamespace);
    assert.ok(acc.type === 'deny');
    assert.match(acc.message, /data\.A100\.cost: /);
    const ctl = validateConfigMap(cm('controller', { mode: 'sometimes' }), DefaultNamespace);
    assert.ok(ctl.type === 'deny');
    assert.match(ctl.message, /data\.mode: /);
  });

  test('valid maps and maps that are not inferno\'s pass', () => {
    assert.equal(validateConfigMap(cm('accelerators', { A100: '{device: NVIDIA-A100-SXM4-80GB, cost: 180}' }), DefaultNamespace).type, 'allow');
    assert.equal(validateConfigMap(cm('something-else', { x: '[' }), DefaultNamespace).type, 'allow');
  });
});
