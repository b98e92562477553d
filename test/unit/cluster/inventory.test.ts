import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PodGpus } from '../../../src/cluster/inventory.js';
import { GpuInventory, freeCapacity, nodeGpusOf, podGpusOf } from '../../../src/cluster/inventory.js';
import type { NodeResource } from '../../../src/cluster/resources.js';
import { Label } from '../../../src/domain/keys.js';
import { catalog } from '../../support/cluster.js';

const node = (name: string, labels: Record<string, string>, allocatable: Record<string, string>): NodeResource => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { allocatable },
});
const a100 = { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' };
const mi300 = { 'amd.com/gpu.product-name': 'AMD-Instinct-MI300X' };
const pod = (key: string, over: Partial<PodGpus>): PodGpus => ({ key, nodeName: undefined, nodeSelector: {}, requests: {}, finished: false, managed: false, ...over });

describe('free GPU capacity', () => {
  const nodes = [node('a-0', a100, { 'nvidia.com/gpu': '8' }), node('a-1', a100, { 'nvidia.com/gpu': '8' }), node('m-0', mi300, { 'amd.com/gpu': '8' })];

  test('allocatable minus requests of running and pending pods, by node or by nodeSelector', () => {
    const free = freeCapacity(nodes, [
      pod('ns/p0', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 4 } }),
      pod('ns/p1', { nodeSelector: a100, requests: { 'nvidia.com/gpu': 2 } }),
      pod('ns/p2', { nodeName: 'a-1', requests: { 'nvidia.com/gpu': 8 }, finished: true }),
      pod('ns/p3', { nodeName: 'm-0', requests: { cpu: 4 } }),
    ], catalog);
    assert.deepEqual(free, { A100: 10, H100: 0, MI300X: 8 });
  });

  test('a budget in the controller ConfigMap caps what the nodes offer', () => {
    const free = freeCapacity(nodes, [pod('ns/p0', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 4 } })], catalog, { A100: 6, L4: 3 });
    assert.deepEqual(free, { A100: 2, H100: 0, MI300X: 8, L4: 0 });
  });
});

describe('GPU inventory, updated one event at a time', () => {
  test('per node: allocatable and what bound pods use; updates move a pod, deletes release it', () => {
    const inv = new GpuInventory();
    inv.upsertNode(nodeGpusOf(node('a-0', a100, { 'nvidia.com/gpu': '8', cpu: '64' })));
    inv.upsertPod(pod('ns/p0', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 3 } }));
    // A pod reported before its node: counted against the node once the node appears.
    inv.upsertPod(pod('ns/p1', { nodeName: 'a-1', requests: { 'nvidia.com/gpu': 2 } }));
    inv.upsertNode(nodeGpusOf(node('a-1', a100, { 'nvidia.com/gpu': '8' })));
    assert.deepEqual(inv.node('a-0')?.used, { 'nvidia.com/gpu': 3 });
    assert.deepEqual(inv.node('a-0')?.allocatable, { 'nvidia.com/gpu': 8, cpu: 64 });
    assert.deepEqual(inv.node('a-1')?.used, { 'nvidia.com/gpu': 2 });
    assert.deepEqual(inv.byType(catalog).free['A100'], 11);

    inv.upsertPod(pod('ns/p0', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 3 }, finished: true }));
    assert.deepEqual(inv.node('a-0')?.used, {}, 'a finished pod holds nothing');
    inv.removePod('ns/p1');
    assert.deepEqual(inv.node('a-1')?.used, {});
    assert.equal(inv.byType(catalog).free['A100'], 16);
    inv.removeNode('a-1');
    assert.equal(inv.node('a-1'), undefined);
    assert.deepEqual(inv.byType(catalog).total, { A100: 8, H100: 0, MI300X: 0 });
  });

  test('bound units per resource: bound pods only, a move or finish updates them, zero stays zero', () => {
    const inv = new GpuInventory();
    assert.deepEqual(inv.boundUnits(), {});
    inv.upsertPod(pod('ns/pending', { nodeSelector: a100, requests: { 'nvidia.com/gpu': 4 } }));
    assert.deepEqual(inv.boundUnits(), {}, 'a pending pod is not bound');
    inv.upsertPod(pod('ns/pending', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 4 } }));
    inv.upsertPod(pod('ns/m', { nodeName: 'm-0', requests: { 'amd.com/gpu': 2, cpu: 8 } }));
    assert.deepEqual(inv.boundUnits(), { 'nvidia.com/gpu': 4, 'amd.com/gpu': 2, cpu: 8 });
    inv.upsertPod(pod('ns/pending', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 4 }, finished: true }));
    inv.removePod('ns/m');
    assert.deepEqual(inv.boundUnits(), { 'nvidia.com/gpu': 0, 'amd.com/gpu': 0, cpu: 0 });
  });

  test('cached per type until the next change; the version counts changes', () => {
    const inv = new GpuInventory();
    inv.upsertNode(nodeGpusOf(node('a-0', a100, { 'nvidia.com/gpu': '8' })));
    const first = inv.byType(catalog);
    assert.equal(inv.byType(catalog), first, 'same object while nothing changed');
    const v = inv.version;
    inv.upsertPod(pod('ns/cpu-only', { nodeName: 'a-0', requests: {} }));
    assert.equal(inv.version, v, 'a pod holding no GPU changes nothing');
    inv.upsertPod(pod('ns/p', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 1 } }));
    assert.notEqual(inv.byType(catalog), first);
    assert.equal(inv.byType(catalog).free['A100'], 7);
  });

  test('free for inferno\'s plan counts only pods inferno does not manage', () => {
    const inv = new GpuInventory();
    inv.upsertNode(nodeGpusOf(node('a-0', a100, { 'nvidia.com/gpu': '8' })));
    inv.upsertPod(pod('ns/ours', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 4 }, managed: true }));
    inv.upsertPod(pod('ns/theirs', { nodeName: 'a-0', requests: { 'nvidia.com/gpu': 1 } }));
    const c = inv.byType(catalog);
    assert.equal(c.free['A100'], 3);
    assert.equal(c.freeForManaged['A100'], 7);
  });

  test('unschedulable nodes offer nothing to the plan', () => {
    const cordoned = { ...node('a-0', a100, { 'nvidia.com/gpu': '8' }), spec: { unschedulable: true } };
    assert.equal(freeCapacity([cordoned], [], catalog)['A100'], 0);
  });

  test('a raw pod: requests over containers, limits where requests are absent, inferno\'s label marks it managed', () => {
    const p = podGpusOf({
      metadata: { namespace: 'models', name: 'g-0', labels: { [Label.accelerator]: 'A100' } },
      spec: { nodeName: 'a-0', containers: [
        { resources: { limits: { 'nvidia.com/gpu': '2' } } },
        { resources: { requests: { 'nvidia.com/gpu': 1, cpu: '500m' }, limits: { 'nvidia.com/gpu': 1 } } },
      ] },
      status: { phase: 'Running' },
    });
    assert.deepEqual(p, { key: 'models/g-0', nodeName: 'a-0', nodeSelector: {}, requests: { 'nvidia.com/gpu': 3 }, finished: false, managed: true });
  });
});
