// The scheduler extender's decisions on the requests a real kube-scheduler sends (test/fixtures/extender/, recorded
// by test/e2e/extender-capture.ts from kube-scheduler v1.36 in both node-cache modes): parsing, filter reasons,
// best-fit scores, and the reservations that keep the answers right while pods are being bound.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { NodeGpus, PodGpus } from '../../../src/cluster/inventory.js';
import { GpuInventory, nodeGpusOf, podGpusOf } from '../../../src/cluster/inventory.js';
import { NodeSchema } from '../../../src/cluster/resources.js';
import type { ClusterSnapshot } from '../../../src/cluster/snapshot.js';
import { snapshotOf } from '../../../src/cluster/snapshot.js';
import { Label } from '../../../src/domain/keys.js';
import { AssumedPods } from '../../../src/extender/assumed.js';
import { NotCachedReason } from '../../../src/extender/fit.js';
import { filterNodes } from '../../../src/extender/filter.js';
import { bestFitScores, prioritizeNodes } from '../../../src/extender/prioritize.js';
import { filterError, filterResult, hostPriorityList, parseExtenderArgs } from '../../../src/extender/protocol.js';
import type { ExtenderArgs } from '../../../src/extender/types.js';
import { catalog, classIndex, premium } from '../../support/cluster.js';

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../../fixtures/extender/${name}.json`, import.meta.url), 'utf8')) as Json;
const namesFilter = fixture('names-filter');
const objectsFilter = fixture('objects-filter');
const namesPrioritize = fixture('names-prioritize');

const A100 = { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' };
const H100 = { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' };
const gpu = 'nvidia.com/gpu';
const node = (name: string, labels: Record<string, string>, gpus: number): NodeGpus => ({ name, labels, unschedulable: false, allocatable: { [gpu]: gpus } });
const bound = (key: string, nodeName: string, units: number, uid = `uid-${key}`): PodGpus => ({ key, uid, nodeName, nodeSelector: {}, requests: { [gpu]: units }, finished: false, managed: true });

/** The fixture's nodes as the informer would hold them, plus `extra` nodes and pods. */
function cluster(extra: { nodes?: NodeGpus[]; pods?: PodGpus[] } = {}): { inv: GpuInventory; snap: () => ClusterSnapshot } {
  const inv = new GpuInventory();
  const items = (objectsFilter['Nodes'] as { items: Json[] }).items;
  for (const raw of items) inv.upsertNode(nodeGpusOf(NodeSchema.parse({ apiVersion: 'v1', kind: 'Node', ...raw })));
  for (const n of extra.nodes ?? []) inv.upsertNode(n);
  for (const p of extra.pods ?? []) inv.upsertPod(p);
  const config = { accelerators: catalog, classes: classIndex(premium), controller: { options: {} } };
  return { inv, snap: () => snapshotOf(config, inv) };
}

function parsed(body: unknown): ExtenderArgs {
  const r = parseExtenderArgs(body);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.args;
}

/** The fixture request with other node names / another pod name and uid. */
function withNames(names: string[], pod: { name?: string; uid?: string; units?: number; labels?: Record<string, string> } = {}): Json {
  const body = structuredClone(namesFilter);
  body['NodeNames'] = names;
  const p = body['Pod'] as { metadata: Json; spec: { containers: { resources: { requests: Json; limits: Json } }[] } };
  if (pod.name !== undefined) p.metadata['name'] = pod.name;
  if (pod.uid !== undefined) p.metadata['uid'] = pod.uid;
  if (pod.labels !== undefined) p.metadata['labels'] = pod.labels;
  const c = p.spec.containers[0];
  if (pod.units !== undefined && c !== undefined) {
    c.resources.requests[gpu] = String(pod.units);
    c.resources.limits[gpu] = String(pod.units);
  }
  return body;
}

const okFilter = (d: ReturnType<typeof filterNodes>): Extract<ReturnType<typeof filterNodes>, { type: 'ok' }> => {
  assert.equal(d.type, 'ok', d.type === 'error' ? d.message : '');
  return d;
};
const okScores = (d: ReturnType<typeof prioritizeNodes>): Extract<ReturnType<typeof prioritizeNodes>, { type: 'ok' }> => {
  assert.equal(d.type, 'ok', d.type === 'error' ? d.message : '');
  return d;
};

describe('ExtenderArgs as kube-scheduler sends them', () => {
  test('nodeCacheCapable: true — the pod, its accelerator and GPU units, and NodeNames', () => {
    const a = parsed(namesFilter);
    assert.equal(a.pod.accelerator, 'A100');
    assert.equal(a.pod.uid, (namesFilter['Pod'] as { metadata: { uid: string } }).metadata.uid);
    assert.equal(a.pod.gpus.key, 'default/granite-13b-7d9f8c6b5-x2x4q');
    assert.deepEqual(a.pod.gpus.requests[gpu], 1);
    assert.deepEqual(a.candidates, { form: 'names', names: namesFilter['NodeNames'] });
    assert.deepEqual(parsed(namesPrioritize).candidates, a.candidates, 'prioritize gets the same shape');
  });

  test('nodeCacheCapable: false — full Node objects (no apiVersion/kind on the items), their labels and GPUs', () => {
    const a = parsed(objectsFilter);
    assert.equal(a.candidates.form, 'objects');
    const items = (objectsFilter['Nodes'] as { items: Json[] }).items;
    assert.equal(a.candidates.nodes.length, items.length);
    for (const [i, n] of a.candidates.nodes.entries()) {
      assert.equal(n.raw, items[i], 'the object as received, for the echo');
      assert.equal(n.gpus.labels['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-80GB');
      assert.equal(n.gpus.allocatable[gpu], 8);
    }
  });

  test('keys are matched as Go does: the lowercase spellings of old docs read the same; two spellings are refused', () => {
    const lower = { pod: namesFilter['Pod'], nodes: null, nodenames: namesFilter['NodeNames'] };
    assert.deepEqual(parsed(lower), parsed(namesFilter));
    const camel = { pod: objectsFilter['Pod'], nodes: objectsFilter['Nodes'], nodeNames: null };
    assert.deepEqual(parsed(camel).candidates.form, 'objects');
    const twice = parseExtenderArgs({ ...namesFilter, pod: namesFilter['Pod'] });
    assert.deepEqual(twice, { ok: false, message: 'ambiguous request: "Pod" and "pod" both given; send Pod once' });
  });

  test('wrong shapes, empty and missing node lists, duplicates: a message with the field path', () => {
    const cases: [unknown, RegExp][] = [
      [[], /^expected ExtenderArgs .* got an array$/],
      ['Pod', /got string$/],
      [null, /got null$/],
      [{ NodeNames: ['a'] }, /^Pod: missing/],
      [{ ...namesFilter, Pod: { metadata: {} } }, /^Pod\.metadata\.name: .*; Pod\.spec: /],
      [{ ...namesFilter, NodeNames: 'gpu-a100-0' }, /^NodeNames: /],
      [{ ...namesFilter, NodeNames: [1] }, /^NodeNames\[0\]: /],
      [{ ...namesFilter, NodeNames: [] }, /^NodeNames is empty: no candidate nodes/],
      [{ Pod: namesFilter['Pod'], Nodes: { items: [] } }, /^Nodes\.items is empty/],
      [{ Pod: namesFilter['Pod'], Nodes: { items: [{ metadata: { labels: {} } }] } }, /^Nodes\.items\[0\]\.metadata\.name: /],
      [{ Pod: namesFilter['Pod'], Nodes: {} }, /^Nodes\.items: /],
      [{ Pod: namesFilter['Pod'] }, /^neither NodeNames nor Nodes given/],
      [{ ...objectsFilter, NodeNames: ['gpu-a100-0'] }, /^both NodeNames and Nodes given/],
      [{ ...namesFilter, NodeNames: ['a', 'b', 'a'] }, /^NodeNames: node "a" is listed twice$/],
      [{ ...namesFilter, NodeNames: Array.from({ length: 20_001 }, (_, i) => `n${i}`) }, /^NodeNames: more than 20000 nodes/],
    ];
    for (const [body, want] of cases) {
      const r = parseExtenderArgs(body);
      assert.equal(r.ok, false, JSON.stringify(body).slice(0, 80));
      assert.match(r.message, want);
    }
  });
});

describe('filter', () => {
  test('keeps the nodes of the chosen product with enough free GPUs; every other node gets a reason', () => {
    const { snap } = cluster({
      nodes: [node('h100-0', H100, 8), node('small-a100', A100, 1)],
      pods: [bound('other/p0', 'gpu-a100-1', 7), bound('other/p1', 'gpu-a100-3', 8)],
    });
    const d = okFilter(filterNodes(parsed(withNames(['gpu-a100-0', 'gpu-a100-1', 'gpu-a100-3', 'h100-0', 'small-a100', 'gone-0'], { units: 2 })), snap(), new AssumedPods()));
    assert.deepEqual(d.outcome, {
      kept: ['gpu-a100-0'],
      failed: {
        'gpu-a100-1': 'inferno: 1 of 8 nvidia.com/gpu free, pod needs 2',
        'gpu-a100-3': 'inferno: 0 of 8 nvidia.com/gpu free, pod needs 2',
        'gone-0': NotCachedReason,
      },
      unresolvable: {
        'h100-0': 'inferno: not a NVIDIA-A100-SXM4-80GB node (pod runs on A100)',
        'small-a100': 'inferno: node has 1 nvidia.com/gpu in all, pod needs 2',
      },
    });
  });

  test('a node smaller than the pod is unresolvable, one that is merely full is not', () => {
    const { snap } = cluster({ nodes: [node('small-a100', A100, 4)] });
    const d = okFilter(filterNodes(parsed(withNames(['small-a100', 'gpu-a100-0'], { units: 8 })), snap(), new AssumedPods()));
    assert.deepEqual(d.outcome.unresolvable, { 'small-a100': 'inferno: node has 4 nvidia.com/gpu in all, pod needs 8' });
    assert.deepEqual(d.outcome.kept, ['gpu-a100-0']);
  });

  test('full Node objects: the kept objects are echoed as received, in a NodeList; NodeNames stays null', () => {
    const { snap } = cluster({ pods: [bound('other/p0', 'gpu-a100-1', 8)] });
    const args = parsed(objectsFilter);
    const d = okFilter(filterNodes(args, snap(), new AssumedPods()));
    const result = filterResult(args, d.outcome);
    const items = (objectsFilter['Nodes'] as { items: Json[] }).items;
    assert.deepEqual(Object.keys(result), ['Nodes', 'NodeNames', 'FailedNodes', 'FailedAndUnresolvableNodes', 'Error']);
    assert.equal(result['NodeNames'], null);
    assert.deepEqual(result['Nodes'], { apiVersion: 'v1', kind: 'NodeList', metadata: {}, items: items.filter((n) => (n['metadata'] as Json)['name'] !== 'gpu-a100-1') });
    assert.deepEqual(result['FailedNodes'], { 'gpu-a100-1': 'inferno: 0 of 8 nvidia.com/gpu free, pod needs 1' });
    assert.equal(result['Error'], '');
  });

  test('NodeNames in, NodeNames out: a subset of the input in its order, Nodes null', () => {
    const { snap } = cluster();
    const args = parsed(namesFilter);
    const result = filterResult(args, okFilter(filterNodes(args, snap(), new AssumedPods())).outcome);
    assert.deepEqual(result, { Nodes: null, NodeNames: namesFilter['NodeNames'], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' });
  });

  test('full Node objects give labels and allocatable; usage comes from the cache, so an uncached node is unknown', () => {
    const { snap } = cluster({ pods: [bound('other/p0', 'gpu-a100-0', 6)] });
    const body = structuredClone(objectsFilter);
    const items = (body['Nodes'] as { items: { metadata: { name: string; labels: Json } }[] }).items;
    const first = items[0];
    assert.ok(first !== undefined);
    first.metadata.labels['nvidia.com/gpu.product'] = 'NVIDIA-H100-80GB-HBM3'; // relabelled since the cache saw it
    const extra = structuredClone(first);
    extra.metadata.name = 'new-node';
    items.push(extra);
    const d = okFilter(filterNodes(parsed(body), snap(), new AssumedPods()));
    assert.equal(d.outcome.unresolvable[first.metadata.name], 'inferno: not a NVIDIA-A100-SXM4-80GB node (pod runs on A100)');
    assert.equal(d.outcome.failed['new-node'], NotCachedReason);
  });

  test('an accelerator missing from the catalog, or no node known at all, is an Error for the whole call', () => {
    const { snap } = cluster();
    const unknown = filterNodes(parsed(withNames(['gpu-a100-0'], { labels: { [Label.accelerator]: 'B200' } })), snap(), new AssumedPods());
    assert.deepEqual(unknown, { type: 'error', message: `pod default/granite-13b-7d9f8c6b5-x2x4q: accelerator "B200" (label ${Label.accelerator}) is not in inferno's accelerator catalog` });
    const none = filterNodes(parsed(withNames(['x-0', 'x-1'])), snap(), new AssumedPods());
    assert.deepEqual(none, { type: 'error', message: "none of the 2 nodes is in inferno's cache (first: x-0); is inferno watching this cluster?" });
    assert.deepEqual(filterError('inferno: boom'), { Nodes: null, NodeNames: null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: 'inferno: boom' });
  });

  test("pods inferno did not place: no product opinion, only room for their GPUs; without GPUs every node stays", () => {
    const { snap } = cluster({ nodes: [node('h100-0', H100, 8)], pods: [bound('other/p0', 'gpu-a100-0', 8)] });
    const plain = { app: 'batch' };
    const d = okFilter(filterNodes(parsed(withNames(['gpu-a100-0', 'gpu-a100-1', 'h100-0'], { labels: plain, units: 1 })), snap(), new AssumedPods()));
    assert.deepEqual(d.outcome, { kept: ['gpu-a100-1', 'h100-0'], failed: { 'gpu-a100-0': 'inferno: 0 of 8 nvidia.com/gpu free, pod needs 1' }, unresolvable: {} });
    const noGpu = withNames(['gpu-a100-0', 'not-cached'], { labels: plain });
    const c = (noGpu['Pod'] as { spec: { containers: { resources: Json }[] } }).spec.containers[0];
    if (c !== undefined) c.resources = { requests: { cpu: '4' } };
    assert.deepEqual(okFilter(filterNodes(parsed(noGpu), snap(), new AssumedPods())).outcome, { kept: ['gpu-a100-0', 'not-cached'], failed: {}, unresolvable: {} });
    const scores = okScores(prioritizeNodes(parsed(withNames(['gpu-a100-1', 'h100-0'], { labels: plain, units: 1 })), snap(), new AssumedPods()));
    assert.deepEqual(hostPriorityList(scores.scores), [{ Host: 'gpu-a100-1', Score: 0 }, { Host: 'h100-0', Score: 0 }], 'neutral');
    assert.equal(scores.reserve, undefined);
  });
});

describe('prioritize: best fit', () => {
  test('the node left with the fewest free GPUs scores 10, the loosest 0, in between by free GPUs left', () => {
    // free before: a100-0 8, a100-1 3, a100-3 5; a 2-GPU pod leaves 6, 1, 3
    const { snap } = cluster({ pods: [bound('o/p0', 'gpu-a100-1', 5), bound('o/p1', 'gpu-a100-3', 3)] });
    const d = okScores(prioritizeNodes(parsed(withNames(['gpu-a100-0', 'gpu-a100-1', 'gpu-a100-3'], { units: 2 })), snap(), new AssumedPods()));
    assert.deepEqual(hostPriorityList(d.scores), [{ Host: 'gpu-a100-0', Score: 0 }, { Host: 'gpu-a100-1', Score: 10 }, { Host: 'gpu-a100-3', Score: 5 }]);
    assert.equal(d.reserve?.node, 'gpu-a100-1');
  });

  test('nodes that cannot host the pod score 0; scores are integers 0–10 in request order', () => {
    const { snap } = cluster({ nodes: [node('h100-0', H100, 8)], pods: [bound('o/p0', 'gpu-a100-0', 8)] });
    const d = okScores(prioritizeNodes(parsed(withNames(['h100-0', 'gpu-a100-0', 'gpu-a100-1', 'nope'])), snap(), new AssumedPods()));
    assert.deepEqual(d.scores, [{ host: 'h100-0', score: 0 }, { host: 'gpu-a100-0', score: 0 }, { host: 'gpu-a100-1', score: 10 }, { host: 'nope', score: 0 }]);
  });

  test('ties have one fixed winner whatever the order: fewer GPUs in all first, then the name', () => {
    const fits = [{ name: 'b', freeAfter: 3, allocatable: 8 }, { name: 'a', freeAfter: 3, allocatable: 8 }, { name: 'c', freeAfter: 3, allocatable: 4 }, { name: 'd', freeAfter: 7, allocatable: 8 }];
    for (const order of [fits, [...fits].reverse(), [fits[2], fits[0], fits[3], fits[1]]]) {
      const { scores, best } = bestFitScores(order.filter((f) => f !== undefined));
      assert.equal(best, 'c');
      assert.deepEqual(Object.fromEntries([...scores].sort()), { a: 9, b: 9, c: 10, d: 0 });
    }
    assert.deepEqual([...bestFitScores([{ name: 'x', freeAfter: 2, allocatable: 8 }, { name: 'y', freeAfter: 2, allocatable: 8 }]).scores], [['x', 10], ['y', 9]], 'all equal: one top, the rest 9');
    assert.deepEqual(bestFitScores([]), { scores: new Map(), best: undefined });
  });
});

describe('pods the scheduler has assumed but the informer has not seen bound', () => {
  const names = ['gpu-a100-0', 'gpu-a100-1', 'gpu-a100-3'];
  const t0 = 1_000_000;

  test('a burst of replicas packs and never overcommits: each answer counts the replicas placed just before', () => {
    // gpu-a100-1 has 2 free, the others 8; four 1-GPU replicas arrive before any binding is seen.
    const { snap } = cluster({ pods: [bound('o/p0', 'gpu-a100-1', 6)] });
    const assumed = new AssumedPods();
    const placed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const args = parsed(withNames(names, { name: `r-${i}`, uid: `uid-r-${i}` }));
      const f = okFilter(filterNodes(args, snap(), assumed));
      if (f.reserve !== undefined) assumed.reserve(f.reserve, t0, false);
      const p = okScores(prioritizeNodes({ ...args, candidates: { form: 'names', names: f.outcome.kept } }, snap(), assumed));
      assert.ok(p.reserve !== undefined);
      assumed.reserve(p.reserve, t0, false);
      placed.push(p.reserve.node);
    }
    assert.deepEqual(placed, ['gpu-a100-1', 'gpu-a100-1', 'gpu-a100-0', 'gpu-a100-0'], 'fill the fullest node, then the next');
    const next = okFilter(filterNodes(parsed(withNames(names, { name: 'r-4', uid: 'uid-r-4' })), snap(), assumed));
    assert.equal(next.outcome.failed['gpu-a100-1'], 'inferno: 0 of 8 nvidia.com/gpu free (2 held for pods being bound), pod needs 1');
  });

  test('without the reservations the same burst would overcommit the 2-GPU-free node', () => {
    const { snap } = cluster({ pods: [bound('o/p0', 'gpu-a100-1', 6)] });
    const none = new AssumedPods();
    const picks = [0, 1, 2].map((i) => okScores(prioritizeNodes(parsed(withNames(names, { name: `r-${i}`, uid: `uid-r-${i}` })), snap(), none)).reserve?.node);
    assert.deepEqual(picks, ['gpu-a100-1', 'gpu-a100-1', 'gpu-a100-1'], 'the control: stale state keeps pointing at the same node');
  });

  test('the informer seeing the pod bound ends the reservation — on the node reserved or another — with no double count', () => {
    const { inv, snap } = cluster();
    const assumed = new AssumedPods();
    assumed.reserve({ uid: 'u1', podKey: 'm/r-1', node: 'gpu-a100-0', requests: { [gpu]: 4 } }, t0, false);
    assumed.reserve({ uid: 'u2', podKey: 'm/r-2', node: 'gpu-a100-1', requests: { [gpu]: 4 } }, t0, false);
    const free = (name: string): string | undefined => okFilter(filterNodes(parsed(withNames([name, 'gpu-a100-3'], { units: 8 })), snap(), assumed)).outcome.failed[name];
    assert.equal(free('gpu-a100-0'), 'inferno: 4 of 8 nvidia.com/gpu free (4 held for pods being bound), pod needs 8');
    inv.upsertPod(bound('m/r-1', 'gpu-a100-0', 4, 'u1')); // bound where reserved
    inv.upsertPod(bound('m/r-2', 'gpu-a100-3', 4, 'u2')); // the scheduler put it elsewhere
    assumed.prune((k) => snap().pod(k), t0 + 50);
    assert.equal(assumed.size, 0);
    assert.equal(free('gpu-a100-0'), 'inferno: 4 of 8 nvidia.com/gpu free, pod needs 8', 'counted once, by the informer');
    assert.equal(free('gpu-a100-1'), undefined, 'the wrong guess is gone');
  });

  test('a pod retried does not compete with its own reservation; a new answer moves it', () => {
    const { snap } = cluster({ pods: [bound('o/p0', 'gpu-a100-0', 7)] });
    const assumed = new AssumedPods();
    const args = parsed(withNames(['gpu-a100-0', 'gpu-a100-1'], { uid: 'same' }));
    const first = okScores(prioritizeNodes(args, snap(), assumed));
    assert.ok(first.reserve !== undefined);
    assumed.reserve(first.reserve, t0, true);
    const again = okFilter(filterNodes(args, snap(), assumed));
    assert.deepEqual(again.outcome.kept, ['gpu-a100-0', 'gpu-a100-1'], 'its own GPU on gpu-a100-0 is not held against it');
    assumed.reserve({ ...first.reserve, node: 'gpu-a100-1' }, t0 + 1, true);
    assert.equal(assumed.size, 1);
    assert.deepEqual(assumed.on('gpu-a100-0', '', 'x/y'), {});
  });

  test('a single node kept by filter is reserved there (the scheduler then skips prioritize)', () => {
    const { snap } = cluster({ pods: [bound('o/p0', 'gpu-a100-0', 8), bound('o/p1', 'gpu-a100-1', 8)] });
    const d = okFilter(filterNodes(parsed(withNames(names, { uid: 'solo' })), snap(), new AssumedPods()));
    assert.deepEqual(d.reserve, { uid: 'solo', podKey: 'default/granite-13b-7d9f8c6b5-x2x4q', node: 'gpu-a100-3', requests: { [gpu]: 1 } });
  });

  test('reservations end when the pod is deleted after being seen, finishes, or outlives the TTL; the count is bounded', () => {
    const assumed = new AssumedPods({ ttlMs: 1000, max: 3 });
    const pending: PodGpus = { ...bound('m/a', 'x', 1, 'ua'), nodeName: undefined };
    const pods = new Map<string, PodGpus>([['m/a', pending]]);
    assumed.reserve({ uid: 'ua', podKey: 'm/a', node: 'n', requests: { [gpu]: 1 } }, t0, true);
    assumed.reserve({ uid: 'ub', podKey: 'm/b', node: 'n', requests: { [gpu]: 1 } }, t0, false);
    assumed.prune((k) => pods.get(k), t0 + 10);
    assert.equal(assumed.size, 2, 'pending a, and b not seen yet: both kept');
    pods.delete('m/a');
    assumed.prune((k) => pods.get(k), t0 + 20);
    assert.deepEqual([assumed.of('ua', 'm/a'), assumed.size], [undefined, 1], 'a deleted after being seen');
    assumed.reserve({ uid: 'uc', podKey: 'm/c', node: 'n', requests: { [gpu]: 1 } }, t0, false);
    pods.set('m/c', { ...bound('m/c', 'n', 1, 'uc'), nodeName: undefined, finished: true });
    assumed.prune((k) => pods.get(k), t0 + 30);
    assert.equal(assumed.of('uc', 'm/c'), undefined, 'finished');
    pods.set('m/b', { ...bound('m/b', 'n', 1, 'an-older-pod-of-that-name') , nodeName: 'n' });
    assumed.prune((k) => pods.get(k), t0 + 40);
    assert.ok(assumed.of('ub', 'm/b') !== undefined, 'another pod of the same name does not end it');
    assumed.prune((k) => pods.get(k), t0 + 1000);
    assert.equal(assumed.size, 0, 'TTL');
    for (const id of ['1', '2', '3', '4']) assumed.reserve({ uid: id, podKey: `m/${id}`, node: 'n', requests: { [gpu]: 1 } }, t0, false);
    assert.deepEqual([assumed.size, assumed.of('1', 'm/1'), assumed.on('n', '', '-')], [3, undefined, { [gpu]: 3 }], 'oldest evicted at max');
    assumed.reserve({ uid: '9', podKey: 'm/9', node: 'n', requests: { [gpu]: 0 } }, t0, false);
    assert.equal(assumed.of('9', 'm/9'), undefined, 'nothing to hold, nothing recorded');
  });

  test('podGpusOf keeps the uid the reservations compare', () => {
    assert.equal(podGpusOf({ metadata: { name: 'p', namespace: 'n', uid: 'u-1' } }).uid, 'u-1');
    assert.equal(podGpusOf({ metadata: { name: 'p', namespace: 'n' } }).uid, undefined);
  });
});
