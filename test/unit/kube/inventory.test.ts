import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NodeResource } from '../../../src/config/resources.js';
import { freeCapacity } from '../../../src/kube/inventory.js';
import { catalog } from '../../support/cluster.js';

const node = (name: string, labels: Record<string, string>, allocatable: Record<string, string>): NodeResource => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, status: { allocatable },
});
const a100 = { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' };
const mi300 = { 'amd.com/gpu.product-name': 'AMD-Instinct-MI300X' };

describe('free GPU capacity', () => {
  const nodes = [node('a-0', a100, { 'nvidia.com/gpu': '8' }), node('a-1', a100, { 'nvidia.com/gpu': '8' }), node('m-0', mi300, { 'amd.com/gpu': '8' })];

  test('allocatable minus requests of running and pending pods, by node or by nodeSelector', () => {
    const free = freeCapacity(nodes, [
      { nodeName: 'a-0', nodeSelector: {}, requests: { 'nvidia.com/gpu': 4 }, finished: false },
      { nodeName: undefined, nodeSelector: a100, requests: { 'nvidia.com/gpu': 2 }, finished: false },
      { nodeName: 'a-1', nodeSelector: {}, requests: { 'nvidia.com/gpu': 8 }, finished: true },
      { nodeName: 'm-0', nodeSelector: {}, requests: { cpu: 4 }, finished: false },
    ], catalog);
    assert.deepEqual(free, { A100: 10, H100: 0, MI300X: 8 });
  });

  test('a budget in the controller ConfigMap caps what the nodes offer', () => {
    const free = freeCapacity(nodes, [{ nodeName: 'a-0', nodeSelector: {}, requests: { 'nvidia.com/gpu': 4 }, finished: false }], catalog, { A100: 6, L4: 3 });
    assert.deepEqual(free, { A100: 2, H100: 0, MI300X: 8, L4: 0 });
  });
});
