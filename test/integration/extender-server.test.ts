// The scheduler extender as kube-scheduler sees it: a real HTTPS server on 127.0.0.1:0 serving /filter and
// /prioritize in front of the webhook app, the recorded ExtenderArgs in both node-cache modes, reservations across
// calls, the error policy (in-band Error, 400, 415, 405, 413, 503), metrics, and a fuzz run that never gets a 5xx.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GpuInventory, nodeGpusOf } from '../../src/cluster/inventory.js';
import { NodeSchema } from '../../src/cluster/resources.js';
import type { ClusterView } from '../../src/cluster/snapshot.js';
import { snapshotOf } from '../../src/cluster/snapshot.js';
import { ExtenderPath } from '../../src/domain/keys.js';
import { AssumedPods } from '../../src/extender/assumed.js';
import { createExtenderRouter, withExtender } from '../../src/http/extender-app.js';
import type { RunningHttpsServer } from '../../src/http/https-server.js';
import { startHttpsServer } from '../../src/http/https-server.js';
import { createWebhookApp } from '../../src/http/webhook-app.js';
import { createAdmissionMetrics } from '../../src/metrics/admission.js';
import { ExtenderMetricName, createExtenderMetrics } from '../../src/metrics/extender.js';
import { catalog, classIndex, premium } from '../support/cluster.js';
import type { Reply } from '../support/https.js';
import { call, createTestPki, writePki } from '../support/https.js';

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/extender/${name}.json`, import.meta.url), 'utf8')) as Json;
const namesFilter = fixture('names-filter');
const objectsFilter = fixture('objects-filter');
const gpu = 'nvidia.com/gpu';

const inv = new GpuInventory();
for (const raw of (objectsFilter['Nodes'] as { items: Json[] }).items) inv.upsertNode(nodeGpusOf(NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', ...raw })));
const config = { accelerators: catalog, classes: classIndex(premium), controller: { options: {} } };
let ready = true;
let clock = 1_000_000;
const view: ClusterView = { snapshot: () => snapshotOf(config, inv), optimizer: () => undefined, optimizers: () => [], ready: () => ready };
const assumed = new AssumedPods();

let server: RunningHttpsServer;
let dir = '';
let ca = '';
let agent: Agent;
const logs: string[] = [];
before(async () => {
  const pki = createTestPki();
  ca = pki.ca.certPem;
  dir = await mkdtemp(join(tmpdir(), 'inferno-extender-'));
  const files = await writePki(dir, pki);
  const metrics = createAdmissionMetrics();
  const log = (level: string, msg: string): void => { logs.push(`${level} ${msg}`); };
  const app = withExtender(
    createWebhookApp({ routes: [], metrics, ready: () => true, log }),
    createExtenderRouter({ view, assumed, metrics: createExtenderMetrics(metrics.registry), log, now: () => clock, bodyLimit: '100kb' }),
  );
  server = await startHttpsServer(app, { ...files, port: 0, host: '127.0.0.1' });
  agent = new Agent({ keepAlive: true, ca, maxSockets: 8 });
});
after(async () => {
  agent.destroy();
  await server.close(1000);
  await rm(dir, { recursive: true, force: true });
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
  call(server.port, ca, { path, body: typeof body === 'string' ? body : JSON.stringify(body), agent, headers });
const json = (r: Reply, status = 200): unknown => {
  assert.equal(r.status, status, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return JSON.parse(r.text) as unknown;
};
function pod(name: string, uid: string, units: number): Json {
  const p = structuredClone(namesFilter['Pod']) as { metadata: Json; spec: { containers: { resources: Json }[] } };
  p.metadata['name'] = name;
  p.metadata['uid'] = uid;
  const c = p.spec.containers[0];
  if (c !== undefined) c.resources = { requests: { [gpu]: String(units) }, limits: { [gpu]: String(units) } };
  return p;
}

describe('extender over HTTPS', () => {
  test('filter and prioritize answer in PascalCase, in the form asked; the reservation carries to the next pod', async () => {
    const names = namesFilter['NodeNames'] as string[];
    // Each 8-GPU node but the first is full; a 7-GPU pod takes the first, so the next 2-GPU pod finds no room.
    inv.upsertPod({ key: 'o/full-1', uid: 'f1', nodeName: names[1], nodeSelector: {}, requests: { [gpu]: 8 }, finished: false, managed: false });
    inv.upsertPod({ key: 'o/full-2', uid: 'f2', nodeName: names[2], nodeSelector: {}, requests: { [gpu]: 8 }, finished: false, managed: false });
    const first = json(await post(ExtenderPath.filter, { Pod: pod('big', 'u-big', 7), NodeNames: names, Nodes: null })) as Json;
    assert.deepEqual(first, {
      Nodes: null, NodeNames: [names[0]], Error: '', FailedAndUnresolvableNodes: {},
      FailedNodes: { [names[1] ?? '']: 'inferno: 0 of 8 nvidia.com/gpu free, pod needs 7', [names[2] ?? '']: 'inferno: 0 of 8 nvidia.com/gpu free, pod needs 7' },
    });
    const second = json(await post(ExtenderPath.filter, { Pod: pod('next', 'u-next', 2), NodeNames: [names[0]] })) as Json;
    assert.deepEqual(second['FailedNodes'], { [names[0] ?? '']: 'inferno: 1 of 8 nvidia.com/gpu free (7 held for pods being bound), pod needs 2' });
    assert.deepEqual(second['NodeNames'], []);
    // The informer sees "big" bound: the hold ends and the pod counts once.
    inv.upsertPod({ key: 'default/big', uid: 'u-big', nodeName: names[0], nodeSelector: {}, requests: { [gpu]: 7 }, finished: false, managed: true });
    const third = json(await post(ExtenderPath.filter, { Pod: pod('next', 'u-next', 2), NodeNames: [names[0]] })) as Json;
    assert.deepEqual(third['FailedNodes'], { [names[0] ?? '']: 'inferno: 1 of 8 nvidia.com/gpu free, pod needs 2' });
    assert.equal(assumed.size, 0);
    for (const k of ['o/full-1', 'o/full-2', 'default/big']) inv.removePod(k);

    const scores = json(await post(ExtenderPath.prioritize, { Pod: pod('p', 'u-p', 1), NodeNames: names }));
    assert.deepEqual(scores, names.map((n, i) => ({ Host: n, Score: i === 0 ? 10 : 9 })));
    assert.equal(assumed.of('u-p', 'default/p')?.node, names[0]);
    assumed.release('u-p', 'default/p');
  });

  test('full Node objects come back as a NodeList of the objects received', async () => {
    const r = json(await post(ExtenderPath.filter, objectsFilter)) as Json;
    assert.deepEqual(r, { Nodes: { apiVersion: 'v1', kind: 'NodeList', metadata: {}, items: (objectsFilter['Nodes'] as Json)['items'] }, NodeNames: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' });
    const s = json(await post(ExtenderPath.prioritize, { Pod: objectsFilter['Pod'], Nodes: objectsFilter['Nodes'] })) as { Host: string; Score: number }[];
    assert.deepEqual(s.map((x) => x.Score).sort(), [10, 9, 9].sort());
    assumed.release((objectsFilter['Pod'] as { metadata: { uid: string } }).metadata.uid, 'default/granite-13b-7d9f8c6b5-x2x4q');
  });

  test('lowercase keys of old docs are read; wrong shapes are an in-band Error for filter and HTTP 400 for prioritize', async () => {
    const lower = json(await post(ExtenderPath.filter, { pod: namesFilter['Pod'], nodenames: namesFilter['NodeNames'] })) as Json;
    assert.deepEqual(lower['NodeNames'], namesFilter['NodeNames']);
    assumed.release((namesFilter['Pod'] as { metadata: { uid: string } }).metadata.uid, 'default/granite-13b-7d9f8c6b5-x2x4q');
    const bad = json(await post(ExtenderPath.filter, { Pod: namesFilter['Pod'], NodeNames: [] })) as Json;
    assert.match(String(bad['Error']), /^inferno: NodeNames is empty: no candidate nodes/);
    assert.deepEqual([bad['NodeNames'], bad['Nodes']], [null, null]);
    const arr = json(await post(ExtenderPath.filter, [1, 2])) as Json;
    assert.match(String(arr['Error']), /^inferno: expected ExtenderArgs/);
    const p = json(await post(ExtenderPath.prioritize, { Pod: { metadata: {} }, NodeNames: ['x'] }), 400) as { error: { code: string; message: string } };
    assert.equal(p.error.code, 'BAD_REQUEST');
    assert.match(p.error.message, /^Pod\.metadata\.name: /);
    const unknownAcc = structuredClone(namesFilter);
    ((unknownAcc['Pod'] as Json)['metadata'] as { labels: Json }).labels['inferno.llmd.ai/accelerator'] = 'B200';
    assert.match(String((json(await post(ExtenderPath.filter, unknownAcc)) as Json)['Error']), /accelerator "B200" .* is not in inferno's accelerator catalog/);
    assert.equal(json(await post(ExtenderPath.prioritize, unknownAcc), 400) !== undefined, true);
  });

  test('transport errors: malformed JSON 400, not JSON 415, GET 405, over the body limit 413', async () => {
    assert.equal((json(await post(ExtenderPath.filter, '{"Pod": '), 400) as { error: { code: string } }).error.code, 'INVALID_JSON');
    assert.equal((json(await post(ExtenderPath.prioritize, 'x', { 'content-type': 'text/plain' }), 415) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const get = await call(server.port, ca, { path: ExtenderPath.filter, agent });
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    const huge = { ...namesFilter, NodeNames: Array.from({ length: 10_000 }, (_, i) => `node-with-a-long-name-${i}`) };
    assert.equal((json(await post(ExtenderPath.filter, huge), 413) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('before the caches sync: filter answers Error, prioritize 503; the webhook routes are still served behind', async () => {
    ready = false;
    try {
      const f = json(await post(ExtenderPath.filter, namesFilter)) as Json;
      assert.equal(f['Error'], "inferno: inferno's cluster cache is not synced yet");
      assert.equal((json(await post(ExtenderPath.prioritize, namesFilter), 503) as { error: { code: string } }).error.code, 'NOT_READY');
    } finally {
      ready = true;
    }
    const health = await call(server.port, ca, { path: '/healthz', agent });
    assert.deepEqual([health.status, health.text], [200, 'ok']);
    const metrics = await call(server.port, ca, { path: '/metrics', agent });
    assert.match(metrics.text, new RegExp(`${ExtenderMetricName.requests}\\{verb="filter",result="ok"\\} [1-9]`));
    assert.match(metrics.text, new RegExp(`${ExtenderMetricName.requests}\\{verb="prioritize",result="bad_request"\\} [1-9]`));
    assert.match(metrics.text, new RegExp(`${ExtenderMetricName.duration}_bucket`));
    assert.ok(logs.some((l) => l.startsWith('warn extender filter answered with an error')));
  });

  test('reservations expire with time even if the pod is never seen', async () => {
    json(await post(ExtenderPath.prioritize, { Pod: pod('ghost', 'u-ghost', 1), NodeNames: namesFilter['NodeNames'] }));
    assert.equal(assumed.size, 1);
    clock += assumed.ttlMs;
    json(await post(ExtenderPath.filter, { Pod: pod('other', 'u-other', 1), NodeNames: ['gpu-a100-0', 'gpu-a100-1'] }));
    assert.equal(assumed.of('u-ghost', 'default/ghost'), undefined);
  });

  test('fuzz: 300 mangled requests, every answer a 2xx or 4xx with JSON, and the server still answers', async () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const junk = [null, 0, -1, 1e308, '', 'x', [], {}, [null], { items: null }, { metadata: null }, true];
    const mangle = (v: unknown, depth: number): unknown => {
      if (depth > 4 || rand(5) === 0) return junk[rand(junk.length)];
      if (Array.isArray(v)) return v.map((x: unknown) => (rand(4) === 0 ? mangle(x, depth + 1) : x));
      if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [rand(10) === 0 ? k.toLowerCase() : k, rand(3) === 0 ? mangle(x, depth + 1) : x]));
      return v;
    };
    const bases = [namesFilter, objectsFilter];
    const results = await Promise.all(Array.from({ length: 300 }, async (_, i) => {
      const body = mangle(bases[i % 2], 0);
      const r = await post(i % 3 === 0 ? ExtenderPath.prioritize : ExtenderPath.filter, body === undefined ? 'null' : body);
      JSON.parse(r.text);
      return r.status;
    }));
    assert.ok(results.every((s) => s === 200 || (s >= 400 && s < 500)), JSON.stringify(results.filter((s) => s >= 500)));
    const again = json(await post(ExtenderPath.filter, namesFilter)) as Json;
    assert.equal(again['Error'], '');
  });
});
