// The webhook sends placed pods to the extender's scheduler when the controller ConfigMap names one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { controllerFromConfigMap } from '../../../src/cluster/config-maps.js';
import type { InputIssue } from '../../../src/cluster/issues.js';
import { ConfigRole, Extender, Label } from '../../../src/domain/keys.js';
import { mutateDeployment } from '../../../src/webhook/mutate.js';
import type { JsonPatchOp } from '../../../src/webhook/types.js';
import { sampleRequest, snapshot, view } from '../../support/cluster.js';

const controllerMap = (data: Record<string, string>) => ({
  apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name: 'inferno-controller', labels: { [Label.config]: ConfigRole.controller } }, data,
});

test('controller ConfigMap: schedulerName is read, and a name Kubernetes would refuse is reported with its field', () => {
  const issues: InputIssue[] = [];
  assert.deepEqual(controllerFromConfigMap(controllerMap({ schedulerName: Extender.schedulerName }), {}, issues), { options: {}, schedulerName: 'inferno-scheduler' });
  assert.deepEqual(issues, []);
  const bad: InputIssue[] = [];
  controllerFromConfigMap(controllerMap({ schedulerName: 'Inferno Scheduler' }), { document: 'ConfigMap inferno-controller' }, bad);
  const [first] = bad;
  assert.ok(first !== undefined);
  assert.equal(first.path, 'data.schedulerName');
  assert.match(first.message, /lowercase RFC 1123/);
});

test('mutation sets spec.schedulerName on the pod template only when the controller configuration names a scheduler', () => {
  const ops = (schedulerName?: string): readonly JsonPatchOp[] => {
    const snap = snapshot({ controller: { options: {}, ...(schedulerName !== undefined ? { schedulerName } : {}) } });
    const v = mutateDeployment(sampleRequest('deployment-create.json'), view(snap));
    assert.equal(v.type, 'patch');
    return v.ops;
  };
  const path = '/spec/template/spec/schedulerName';
  assert.deepEqual(ops(Extender.schedulerName).filter((o) => o.path === path), [{ op: 'replace', path, value: 'inferno-scheduler' }], 'the API server defaulted it to default-scheduler');
  assert.deepEqual(ops().filter((o) => o.path === path), []);
});
