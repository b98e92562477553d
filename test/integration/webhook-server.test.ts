// The admission webhook as the API server sees it: a real HTTPS server on 127.0.0.1:0 with a forge-made CA,
// AdmissionReview round trips, the failure policies, the HTTP-level errors, health, readiness and metrics.
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { AdmissionMetricName } from '../../src/metrics/admission.js';
import type { AdmissionRequest, AdmissionRoute, JsonPatchOp, Verdict } from '../../src/webhook/types.js';
import { allow, deny, patch } from '../../src/webhook/types.js';
import type { TestWebhook } from '../support/https.js';
import { call, deploymentRequest, review, startTestWebhook } from '../support/https.js';
import { Label } from '../../src/domain/keys.js';

interface ReviewBody {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; status?: { code: number; message: string }; patchType?: string; patch?: string; warnings?: string[] };
}
interface ErrorBody { error: { code: string; message: string } }

const ops: JsonPatchOp[] = [
  { op: 'add', path: '/metadata/labels', value: { [Label.accelerator]: 'A100' } },
  { op: 'add', path: '/spec/template/spec/nodeSelector', value: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } },
];
const seen: AdmissionRequest[] = [];
let slowRelease: (() => void) | undefined;

const routes: AdmissionRoute[] = [
  { path: '/allow', name: 'allow', onError: 'open', handler: (r) => { seen.push(r); return allow(['looked at it']); } },
  { path: '/deny', name: 'deny', onError: 'closed', handler: () => deny(403, 'not on my watch') },
  { path: '/patch', name: 'patch', onError: 'open', handler: async () => { await Promise.resolve(); return patch(ops, ['placed']); } },
  { path: '/empty-patch', name: 'empty-patch', onError: 'open', handler: () => ({ type: 'patch', ops: [], warnings: [] }) },
  { path: '/long-warning', name: 'long-warning', onError: 'open', handler: () => allow(['w'.repeat(300), 'short']) },
  { path: '/throw-open', name: 'throw-open', onError: 'open', handler: () => { throw new Error('boom'); } },
  { path: '/throw-closed', name: 'throw-closed', onError: 'closed', handler: () => Promise.reject(new Error('kaboom')) },
  { path: '/bad-verdict', name: 'bad-verdict', onError: 'closed', handler: () => ({ type: 'maybe' }) as unknown as Verdict },
  { path: '/slow', name: 'slow', onError: 'open', handler: () => new Promise<Verdict>((ok) => { slowRelease = () => { ok(allow()); }; }) },
];

let hook: TestWebhook;
let agent: Agent;
before(async () => {
  hook = await startTestWebhook(routes);
  agent = new Agent({ keepAlive: true, ca: hook.ca, maxSockets: 4 });
});
after(async () => {
  agent.destroy();
  await hook.close();
});

const post = (path: string, body: unknown): ReturnType<TestWebhook['post']> => hook.post(path, body, agent);
function reviewOf(r: { status: number; headers: Record<string, unknown>; text: string }): ReviewBody {
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const b = JSON.parse(r.text) as ReviewBody;
  assert.equal(b.apiVersion, 'admission.k8s.io/v1');
  assert.equal(b.kind, 'AdmissionReview');
  return b;
}
function errorOf(r: { status: number; text: string }, status: number, code: string): ErrorBody {
  assert.equal(r.status, status, r.text);
  const b = JSON.parse(r.text) as ErrorBody;
  assert.equal(b.error.code, code);
  assert.ok(b.error.message.length > 0);
  return b;
}

describe('AdmissionReview round trips', () => {
  test('allow echoes the uid and the warnings; the handler sees the request fields and the raw object', async () => {
    const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'granite', creationTimestamp: null, labels: { a: 'b' } }, spec: { x: [1, { y: null }] }, status: {} };
    const oldObject = { kind: 'Deployment', metadata: { name: 'granite' } };
    const r = reviewOf(await post('/allow', { ...review(deploymentRequest('uid-allow', { name: 'granite', object, oldObject, operation: 'UPDATE', dryRun: true })), unexpected: { field: 1 } }));
    assert.deepEqual(r.response, { uid: 'uid-allow', allowed: true, warnings: ['looked at it'] });
    const got = seen.at(-1);
    assert.ok(got !== undefined);
    assert.equal(got.uid, 'uid-allow');
    assert.deepEqual(got.kind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(got.operation, 'UPDATE');
    assert.equal(got.namespace, 'models');
    assert.equal(got.name, 'granite');
    assert.equal(got.dryRun, true);
    assert.deepEqual(got.object, object); // null, empty objects and unknown fields survive: never round-tripped
    assert.deepEqual(got.oldObject, oldObject);
  });

  test('deny carries status code and message', async () => {
    const r = reviewOf(await post('/deny', review(deploymentRequest('uid-deny'))));
    assert.deepEqual(r.response, { uid: 'uid-deny', allowed: false, status: { code: 403, message: 'not on my watch' } });
  });

  test('patch: JSONPatch, base64 of exactly the handler ops', async () => {
    const r = reviewOf(await post('/patch', review(deploymentRequest('uid-patch'))));
    assert.equal(r.response.uid, 'uid-patch');
    assert.equal(r.response.allowed, true);
    assert.equal(r.response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(r.response.patch ?? '', 'base64').toString('utf8')), ops);
    assert.deepEqual(r.response.warnings, ['placed']);
  });

  test('a patch verdict without operations is a plain allow (no patchType, no patch)', async () => {
    const r = reviewOf(await post('/empty-patch', review(deploymentRequest('uid-empty'))));
    assert.deepEqual(r.response, { uid: 'uid-empty', allowed: true });
  });

  test('warnings longer than 120 characters are truncated', async () => {
    const r = reviewOf(await post('/long-warning', review(deploymentRequest('uid-long'))));
    const [long, short] = r.response.warnings ?? [];
    assert.equal(Array.from(long ?? '').length, 120);
    assert.ok(long?.endsWith('…'));
    assert.equal(short, 'short');
    assert.equal(r.response.warnings?.length, 2);
  });

  test('DELETE is allowed without calling the handler', async () => {
    const before = seen.length;
    const r = reviewOf(await post('/deny', review(deploymentRequest('uid-delete', { operation: 'DELETE', object: null }))));
    assert.deepEqual(r.response, { uid: 'uid-delete', allowed: true });
    const r2 = reviewOf(await post('/allow', review(deploymentRequest('uid-delete-2', { operation: 'DELETE' }))));
    assert.deepEqual(r2.response, { uid: 'uid-delete-2', allowed: true });
    assert.equal(seen.length, before);
  });
});

describe('failure policy', () => {
  test("a throwing handler with onError 'open' admits with a warning and counts an error", async () => {
    const r = reviewOf(await post('/throw-open', review(deploymentRequest('uid-open'))));
    assert.equal(r.response.uid, 'uid-open');
    assert.equal(r.response.allowed, true);
    assert.equal(r.response.patch, undefined);
    assert.match(r.response.warnings?.[0] ?? '', /throw-open failed \(boom\)/);
    assert.equal((await hook.metrics.errors.get()).values.find((v) => v.labels.route === 'throw-open')?.value, 1);
  });

  test("a rejecting handler with onError 'closed' denies with 500", async () => {
    const r = reviewOf(await post('/throw-closed', review(deploymentRequest('uid-closed'))));
    assert.equal(r.response.allowed, false);
    assert.equal(r.response.status?.code, 500);
    assert.match(r.response.status.message, /kaboom/);
  });

  test('a malformed verdict is a handler error too', async () => {
    const r = reviewOf(await post('/bad-verdict', review(deploymentRequest('uid-bad-verdict'))));
    assert.equal(r.response.allowed, false);
    assert.equal(r.response.status?.code, 500);
    assert.match(r.response.status.message, /malformed verdict/);
  });
});

describe('bad input', () => {
  const valid = JSON.stringify(review(deploymentRequest('uid-x')));
  const raw = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    call(hook.port, hook.ca, { path, body, agent, headers: { 'content-type': 'application/json', ...headers } });

  test('malformed JSON → 400 INVALID_JSON', async () => {
    errorOf(await raw('/allow', '{"apiVersion": "admission.k8s.io/v1", '), 400, 'INVALID_JSON');
    errorOf(await raw('/allow', '42'), 400, 'INVALID_JSON'); // strict: only objects and arrays
  });

  test('wrong content type or a compressed body → 415', async () => {
    errorOf(await raw('/allow', valid, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    errorOf(await raw('/allow', valid, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    errorOf(await raw('/allow', valid, { 'content-encoding': 'gzip' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('not an AdmissionReview v1 (no request, no uid, wrong apiVersion or kind, an array, no body) → 400', async () => {
    const cases: unknown[] = [
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      review({ kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE' }),
      review({ ...deploymentRequest(''), uid: '' }),
      review({ ...deploymentRequest('x'), uid: 7 }),
      { ...review(deploymentRequest('uid-v1beta1')), apiVersion: 'admission.k8s.io/v1beta1' },
      { ...review(deploymentRequest('uid-kind')), kind: 'AdmissionResponse' },
      [review(deploymentRequest('uid-array'))],
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: 'uid' },
    ];
    for (const body of cases) {
      const b = errorOf(await raw('/allow', JSON.stringify(body)), 400, 'NOT_ADMISSION_REVIEW');
      assert.match(b.error.message, /AdmissionReview/);
    }
    const empty = { 'content-type': 'application/json', 'content-length': '0' };
    errorOf(await call(hook.port, hook.ca, { path: '/allow', method: 'POST', agent, headers: empty }), 400, 'NOT_ADMISSION_REVIEW');
  });

  test('a uid but a malformed rest → in-band deny 400 naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ uid: 'uid-nokind', operation: 'CREATE' }, /request\.kind/],
      [deploymentRequest('uid-op', { operation: 'PATCH' }), /request\.operation/],
      [deploymentRequest('uid-ns', { namespace: 12 }), /request\.namespace/],
      [deploymentRequest('uid-dry', { dryRun: 'yes' }), /request\.dryRun/],
      [deploymentRequest('uid-gvk', { kind: { group: 'apps', kind: 'Deployment' } }), /request\.kind\.version/],
    ];
    for (const [request, field] of cases) {
      const r = reviewOf(await raw('/allow', JSON.stringify(review(request))));
      assert.equal(r.response.uid, request['uid']);
      assert.equal(r.response.allowed, false);
      assert.equal(r.response.status?.code, 400);
      assert.match(r.response.status.message, field);
    }
  });

  test('a body over 7 MB → 413, and a body just under it is accepted', async () => {
    const big = JSON.stringify(review(deploymentRequest('uid-big', { object: { data: 'x'.repeat(7.5 * 1024 * 1024) } })));
    errorOf(await raw('/allow', big), 413, 'PAYLOAD_TOO_LARGE');
    const fits = JSON.stringify(review(deploymentRequest('uid-fits', { object: { data: 'x'.repeat(6.5 * 1024 * 1024) } })));
    assert.equal(reviewOf(await raw('/allow', fits)).response.uid, 'uid-fits');
  });

  test('other methods on a webhook path → 405, unknown paths → 404', async () => {
    const r = await call(hook.port, hook.ca, { path: '/allow', agent });
    errorOf(r, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(r.headers.allow, 'POST');
    errorOf(await raw('/nope', valid), 404, 'NOT_FOUND');
    errorOf(await call(hook.port, hook.ca, { path: '/', agent }), 404, 'NOT_FOUND');
  });

  test('after all of that the server still answers', async () => {
    assert.equal(reviewOf(await raw('/allow', valid)).response.uid, 'uid-x');
    assert.equal((await call(hook.port, hook.ca, { path: '/healthz' })).status, 200);
  });
});

describe('health, readiness, metrics', () => {
  test('/healthz is 200 ok; /readyz follows ready()', async () => {
    const h = await call(hook.port, hook.ca, { path: '/healthz', agent });
    assert.equal(h.status, 200);
    assert.equal(h.text, 'ok');
    assert.equal((await call(hook.port, hook.ca, { path: '/readyz', agent })).status, 200);
    hook.setReady(false);
    const r = await call(hook.port, hook.ca, { path: '/readyz', agent });
    assert.equal(r.status, 503);
    hook.setReady(true);
    assert.equal((await call(hook.port, hook.ca, { path: '/readyz', agent })).status, 200);
  });

  test('/metrics serves the admission series in the Prometheus text format', async () => {
    const m = await call(hook.port, hook.ca, { path: '/metrics', agent });
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const line = (name: string, labels: string): number => {
      const match = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(m.text);
      return Number(match?.[1] ?? Number.NaN);
    };
    assert.match(m.text, new RegExp(`^# TYPE ${AdmissionMetricName.requests} counter$`, 'm'));
    assert.match(m.text, new RegExp(`^# TYPE ${AdmissionMetricName.duration} histogram$`, 'm'));
    assert.ok(line(AdmissionMetricName.requests, 'route="allow",result="allowed"') >= 1);
    assert.equal(line(AdmissionMetricName.requests, 'route="patch",result="patched"'), 1);
    assert.equal(line(AdmissionMetricName.requests, 'route="deny",result="denied"'), 1);
    assert.equal(line(AdmissionMetricName.requests, 'route="throw-open",result="error"'), 1);
    assert.ok(line(AdmissionMetricName.requests, 'route="allow",result="bad_request"') >= 10);
    assert.equal(line(AdmissionMetricName.errors, 'route="throw-closed"'), 1);
    assert.equal(line(AdmissionMetricName.errors, 'route="allow"'), 0); // every route exposed from the start
    assert.equal(line(`${AdmissionMetricName.duration}_count`, 'route="patch",result="patched"'), 1);
    assert.match(m.text, new RegExp(`^${AdmissionMetricName.duration}_bucket\\{le="0.0005",route="patch",result="patched"\\} `, 'm'));
  });
});

describe('graceful close', () => {
  test('close() lets an in-flight keep-alive request finish, then stops accepting', async (t) => {
    const own = await startTestWebhook(routes);
    const keepAlive = new Agent({ keepAlive: true, ca: own.ca });
    t.after(() => { keepAlive.destroy(); });
    await own.post('/allow', review(deploymentRequest('uid-warm')), keepAlive); // an idle keep-alive connection too
    const inflight = own.post('/slow', review(deploymentRequest('uid-slow')), keepAlive);
    while (slowRelease === undefined) await new Promise((ok) => setTimeout(ok, 5));
    const t0 = performance.now();
    const closed = own.close();
    slowRelease();
    const r = await inflight;
    assert.equal(reviewOf(r).response.uid, 'uid-slow');
    await closed;
    assert.ok(performance.now() - t0 < 900, 'closed without waiting for the deadline');
    await assert.rejects(own.post('/allow', review(deploymentRequest('uid-late'))), /ECONNREFUSED/);
  });
});
