// Admission metrics: names defined once, a private registry per instance, every route visible at zero.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry, register as globalRegistry } from 'prom-client';
import { AdmissionMetricName, createAdmissionMetrics, initAdmissionRoute, recordAdmission } from '../../../src/metrics/admission.js';

test('two instances never clash and nothing lands on the global registry', async () => {
  const a = createAdmissionMetrics();
  const b = createAdmissionMetrics(new Registry());
  recordAdmission(a, 'mutate-deployment', 'patched', 0.0007);
  assert.equal((await b.requests.get()).values.length, 0);
  assert.equal(await globalRegistry.getSingleMetricAsString(AdmissionMetricName.requests).catch(() => 'absent'), 'absent');
  const text = await a.registry.metrics();
  assert.match(text, /^inferno_admission_requests_total\{route="mutate-deployment",result="patched"\} 1$/m);
  assert.match(text, /^inferno_admission_duration_seconds_bucket\{le="0\.001",route="mutate-deployment",result="patched"\} 1$/m);
  assert.match(text, /^inferno_admission_duration_seconds_bucket\{le="0\.0005",route="mutate-deployment",result="patched"\} 0$/m);
});

test('initAdmissionRoute exposes every result and the error counter at zero', async () => {
  const m = createAdmissionMetrics();
  initAdmissionRoute(m, 'validate-optimizer');
  const results = (await m.requests.get()).values.map((v) => `${String(v.labels.result)}=${v.value}`);
  assert.deepEqual(results, ['allowed=0', 'denied=0', 'patched=0', 'error=0', 'bad_request=0']);
  assert.deepEqual((await m.errors.get()).values.map((v) => [v.labels.route, v.value]), [['validate-optimizer', 0]]);
});
