// The AdmissionReview v1 envelope: what is read from a request and what a Verdict becomes on the wire.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { maxWarningLength, readAdmissionReview, reviewResponse, shortCircuit } from '../../../src/webhook/admission.js';
import { allow, deny, patch } from '../../../src/webhook/types.js';
import { Annotation } from '../../../src/domain/keys.js';
import { pointerKey } from '../../support/assert.js';

const request = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' },
  resource: { group: 'llmd.ai', version: 'v1alpha1', resource: 'optimizers' },
  requestKind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' },
  operation: 'CREATE',
  namespace: 'models',
  name: 'granite',
  userInfo: { username: 'admin' },
  object: { apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'granite' }, spec: { modelID: 'm' } },
  oldObject: null,
  dryRun: false,
  options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  ...extra,
});
const envelope = (req: unknown): unknown => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req });

describe('readAdmissionReview', () => {
  test('a full request: the fields handlers use, the object by reference', () => {
    const body = envelope(request()) as { request: { object: unknown } };
    const r = readAdmissionReview(body);
    assert.equal(r.type, 'request');
    assert.deepEqual(r.request, {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002', kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, operation: 'CREATE',
      namespace: 'models', name: 'granite', dryRun: false, object: body.request.object, oldObject: null,
    });
    assert.equal(r.request.object, body.request.object, 'the raw object itself, not a copy');
  });

  test('optional fields may be absent: namespace, name, dryRun, object', () => {
    const r = readAdmissionReview(envelope({ uid: 'u', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, operation: 'CONNECT' }));
    assert.equal(r.type, 'request');
    assert.equal(r.request.namespace, undefined);
    assert.equal(r.request.name, undefined);
    assert.equal(r.request.dryRun, false);
    assert.equal(r.request.object, undefined);
  });

  const rejected: [string, unknown][] = [
    ['undefined', undefined],
    ['a string', 'AdmissionReview'],
    ['an array', [envelope(request())]],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }],
    ['request null', envelope(null)],
    ['no uid', envelope(request({ uid: undefined }))],
    ['empty uid', envelope(request({ uid: '' }))],
    ['numeric uid', envelope(request({ uid: 12 }))],
    ['v1beta1', { ...(envelope(request()) as object), apiVersion: 'admission.k8s.io/v1beta1' }],
    ['wrong kind', { ...(envelope(request()) as object), kind: 'Pod' }],
  ];
  for (const [name, body] of rejected) {
    test(`not answerable in-band: ${name}`, () => {
      const r = readAdmissionReview(body);
      assert.equal(r.type, 'rejected');
      assert.match(r.message, /^not an admission\.k8s\.io\/v1 AdmissionReview request: /);
    });
  }

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['no kind', request({ kind: undefined }), /request\.kind: /],
    ['kind without group', request({ kind: { version: 'v1', kind: 'Pod' } }), /request\.kind\.group: /],
    ['unknown operation', request({ operation: 'create' }), /request\.operation: /],
    ['namespace not a string', request({ namespace: ['a'] }), /request\.namespace: /],
    ['dryRun not a boolean', request({ dryRun: 'true' }), /request\.dryRun: /],
  ];
  for (const [name, req, field] of invalid) {
    test(`answerable in-band, malformed: ${name}`, () => {
      const r = readAdmissionReview(envelope(req));
      assert.equal(r.type, 'invalid');
      assert.equal(r.uid, '705ab4f5-6393-11e8-b7cc-42010a800002');
      assert.match(r.message, field);
    });
  }

  test('messages stay short however many fields are wrong', () => {
    const r = readAdmissionReview(envelope({ uid: 'u', kind: { group: 1, version: 2, kind: 3 }, operation: 2, namespace: 3, name: 4, dryRun: 5, x: 'y'.repeat(10_000) }));
    assert.equal(r.type, 'invalid');
    assert.match(r.message, /; and 2 more$/);
    assert.ok(r.message.length <= 1000);
  });
});

describe('shortCircuit', () => {
  test('DELETE is allowed before any handler; other operations go on', () => {
    const del = readAdmissionReview(envelope(request({ operation: 'DELETE' })));
    const upd = readAdmissionReview(envelope(request({ operation: 'UPDATE' })));
    assert.ok(del.type === 'request' && upd.type === 'request');
    assert.deepEqual(shortCircuit(del.request), allow());
    assert.equal(shortCircuit(upd.request), undefined);
  });
});

describe('reviewResponse', () => {
  const head = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' };

  test('allow: uid and allowed only', () => {
    assert.deepEqual(reviewResponse('u1', allow()), { ...head, response: { uid: 'u1', allowed: true } });
  });

  test('deny: status {code, message}', () => {
    assert.deepEqual(reviewResponse('u2', deny(422, 'spec.modelID is required', ['see docs'])), {
      ...head, response: { uid: 'u2', allowed: false, status: { code: 422, message: 'spec.modelID is required' }, warnings: ['see docs'] },
    });
  });

  test('patch: JSONPatch and base64 of the JSON operations', () => {
    const ops = [{ op: 'add', path: `/metadata/annotations/${pointerKey(Annotation.decision)}`, value: '{"acc":"A100"}' }] as const;
    const r = reviewResponse('u3', patch(ops));
    assert.equal(r.response.patchType, 'JSONPatch');
    assert.equal(r.response.patch, Buffer.from(JSON.stringify(ops)).toString('base64'));
    assert.deepEqual(JSON.parse(Buffer.from(r.response.patch, 'base64').toString()), ops);
  });

  test('a patch without operations has neither patchType nor patch', () => {
    assert.deepEqual(reviewResponse('u4', { type: 'patch', ops: [], warnings: [] }), { ...head, response: { uid: 'u4', allowed: true } });
  });

  test('warnings are cut to 120 characters, never inside a surrogate pair', () => {
    const w = `${'a'.repeat(118)}🙂🙂🙂`;
    const r = reviewResponse('u5', allow([w, 'ok', 'b'.repeat(120)]));
    const [first, second, third] = r.response.warnings ?? [];
    assert.equal(first, `${'a'.repeat(118)}🙂…`);
    assert.equal(Array.from(first).length, maxWarningLength);
    assert.equal(second, 'ok');
    assert.equal(third, 'b'.repeat(120));
  });
});
