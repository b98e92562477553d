import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { solve } from '../../../src/solver/index.js';
import type { System } from '../../../src/domain/types.js';
import { serverFromOptimizer } from '../../../src/cluster/optimizer.js';
import { mutateDeployment } from '../../../src/webhook/mutate.js';
import type { JsonPatchOp, Verdict } from '../../../src/webhook/types.js';
import { catalog, graniteOptimizer, premium, sampleRequest, snapshot, view } from '../../support/cluster.js';
import { Annotation, Label } from '../../../src/domain/keys.js';
import { BatchSizeEnv, MaxNumSeqsFlag } from '../../../src/placement/pod-template.js';
import { pointerKey } from '../../support/assert.js';

const byPath = (a: JsonPatchOp, b: JsonPatchOp): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const opsOf = (v: Verdict): JsonPatchOp[] => {
  assert.ok(v.type === 'patch', JSON.stringify(v));
  return [...v.ops].sort(byPath);
};
const apply = (object: unknown, ops: readonly JsonPatchOp[]): unknown =>
  jsonpatch.applyPatch(structuredClone(object), ops as PatchOperation[], true, false).newDocument;

/** The solver's own answer for the sample (the solver is tested against upstream elsewhere). */
function expectedDecision(capacity: Record<string, number>) {
  const opt = graniteOptimizer();
  const sys: System = {
    accelerators: catalog, serviceClasses: [premium], servers: [serverFromOptimizer(opt, premium)], capacity,
    options: { unlimited: false, saturationPolicy: 'None', delayedBestEffort: false, algorithm: 'greedy', penaltyFactor: 0.1, analyzer: 'v2' },
  };
  const a = solve(sys).allocations[0];
  assert.ok(a !== undefined);
  return a;
}

describe('mutate Deployment (CREATE of the sample AdmissionReview)', () => {
  test('golden patch: nodeSelector, GPU request and limit, batch env and arg, accelerator label, decision, replicas', () => {
    const req = sampleRequest('deployment-create.json', (o) => {
      (o['spec'] as { replicas: number }).replicas = 3;
    });
    const a = expectedDecision(snapshot().capacity.free);
    assert.equal(a.accelerator, 'A100', 'one A100 (180 ¢/h) carries 120 rpm within the SLO; the others cost more');
    const decision = JSON.parse((opsOf(mutateDeployment(req, view())).find((o) => o.path.endsWith('decision'))?.value as string | undefined) ?? '{}') as Record<string, unknown>;
    const expected: JsonPatchOp[] = [
      { op: 'add', path: `/metadata/annotations/${pointerKey(Annotation.decision)}`, value: JSON.stringify(decision) },
      { op: 'replace', path: '/spec/replicas', value: 1 },
      { op: 'add', path: `/spec/template/metadata/labels/${pointerKey(Label.accelerator)}`, value: 'A100' },
      { op: 'add', path: '/spec/template/spec/containers/0/args/5', value: `${MaxNumSeqsFlag}=$(${BatchSizeEnv})` },
      { op: 'add', path: '/spec/template/spec/containers/0/env/1', value: { name: BatchSizeEnv, value: String(a.maxBatch) } },
      { op: 'add', path: '/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu', value: '1' },
      { op: 'add', path: '/spec/template/spec/containers/0/resources/requests/nvidia.com~1gpu', value: '1' },
      { op: 'add', path: '/spec/template/spec/nodeSelector', value: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' } },
    ];
    assert.deepEqual(opsOf(mutateDeployment(req, view())), expected.sort(byPath));
    assert.equal(a.numReplicas, 1);
    assert.deepEqual(decision, {
      accelerator: 'A100', maxBatch: a.maxBatch, replicas: a.numReplicas, costCentsPerHour: a.cost,
      itlMs: Number(a.itlAverage.toFixed(3)), ttftMs: Number(a.ttftAverage.toFixed(3)), sloMet: true,
      load: { arrivalRate: 120, avgInTokens: 512, avgOutTokens: 256, source: 'status' },
      batch: { maxNumSeqs: a.maxBatch, appliedBy: 'inferno', at: ['args[5]'] },
    });
  });

  test('a second pass over its own output yields no patch (reinvocation), and dry-run gets the same answer', () => {
    const req = sampleRequest('deployment-create.json');
    const first = mutateDeployment(req, view());
    const patched = apply(req.object, opsOf(first));
    assert.deepEqual(mutateDeployment({ ...req, object: patched }, view()), { type: 'allow', warnings: [] });
    assert.deepEqual(mutateDeployment({ ...req, dryRun: true }, view()), first);
  });

  test('reinvocation is stable under capacity pressure too (best effort keeps its size)', () => {
    const snap = snapshot({ free: { A100: 0, H100: 0, MI300X: 1 }, controller: { options: { saturationPolicy: 'PriorityExhaustive' } } });
    const req = sampleRequest('deployment-create.json', (o) => {
      ((o['metadata'] as Record<string, Record<string, string>>)['annotations'] ?? {})[Annotation.optimizer] = 'busy';
    });
    const busy = graniteOptimizer({ name: 'busy', status: { load: { arrivalRate: 2400, avgInTokens: 512, avgOutTokens: 256 } } });
    const first = mutateDeployment(req, view(snap, [busy]));
    assert.match(first.warnings.join('\n'), /1 of \d+ replicas needed fit on MI300X; the SLO will not be met/);
    assert.deepEqual(mutateDeployment({ ...req, object: apply(req.object, opsOf(first)) }, view(snap, [busy])).type, 'allow');
  });

  test('existing --max-num-seqs (two-argument form) and env are replaced, not duplicated; the named container is used', () => {
    const req = sampleRequest('deployment-create.json', (o) => {
      const spec = (o['spec'] as { template: { spec: { containers: { name: string; args: string[]; env: { name: string; value: string }[] }[] } } }).template.spec;
      spec.containers.reverse();
      const vllm = spec.containers[1];
      assert.ok(vllm !== undefined);
      vllm.args.push('--max-num-seqs', '256');
      vllm.env.push({ name: BatchSizeEnv, value: '7' });
      ((o['metadata'] as Record<string, Record<string, string>>)['annotations'] ?? {})[Annotation.container] = 'vllm';
    });
    const ops = opsOf(mutateDeployment(req, view()));
    const patched = apply(req.object, ops) as { spec: { template: { spec: { containers: { name: string; args: string[]; env: { name: string; value: string }[] }[] } } } };
    const vllm = patched.spec.template.spec.containers[1];
    assert.equal(vllm?.name, 'vllm');
    assert.deepEqual(vllm.args.filter((x) => x.startsWith('--max-num-seqs')), [`${MaxNumSeqsFlag}=$(${BatchSizeEnv})`]);
    assert.equal(vllm.args.includes('256'), false);
    assert.deepEqual(vllm.env.filter((e) => e.name === BatchSizeEnv).length, 1);
    assert.ok(ops.every((o) => !o.path.startsWith('/spec/template/spec/containers/0/')), 'the sidecar is untouched');
  });

  test('UPDATE keeps the placed accelerator and leaves replicas to the scaler', () => {
    const req = sampleRequest('deployment-create.json');
    const created = apply(req.object, opsOf(mutateDeployment(req, view()))) as { spec: { replicas: number; template: { spec: { containers: { env: unknown[] }[] } } } };
    created.spec.replicas = 7;
    created.spec.template.spec.containers[0]?.env.splice(1, 1); // a user edit dropped our env var
    const cheaperH100 = snapshot({ accelerators: catalog.map((x) => (x.name === 'H100' ? { ...x, cost: 1 } : x)) });
    const ops = opsOf(mutateDeployment({ ...req, operation: 'UPDATE', object: created }, view(cheaperH100)));
    assert.deepEqual(ops.map((o) => o.path), ['/spec/template/spec/containers/0/env/1']);
  });

  test('a user nodeSelector on a GPU product is respected', () => {
    const req = sampleRequest('deployment-create.json', (o) => {
      ((o['spec'] as { template: { spec: Record<string, unknown> } }).template.spec)['nodeSelector'] = { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' };
    });
    const ops = opsOf(mutateDeployment(req, view()));
    assert.ok(ops.some((o) => o.path === `/spec/template/metadata/labels/${pointerKey(Label.accelerator)}` && o.value === 'H100'), JSON.stringify(ops));
    assert.ok(!ops.some((o) => o.path.startsWith('/spec/template/spec/nodeSelector')), 'the selector already says H100');
  });

  test('limited capacity: a full GPU type is skipped', () => {
    const full = { A100: 0, H100: 16, MI300X: 16 };
    // The cheapest accelerator with room is the answer; with the A100s free it would have been an A100.
    assert.equal(expectedDecision({ A100: 32, H100: 16, MI300X: 16 }).accelerator, 'A100');
    const expected = expectedDecision(full).accelerator;
    assert.notEqual(expected.endsWith('A100'), true);
    const ops = opsOf(mutateDeployment(sampleRequest('deployment-create.json'), view(snapshot({ free: full }))));
    assert.equal(ops.find((o) => o.path === `/spec/template/metadata/labels/${pointerKey(Label.accelerator)}`)?.value, expected);
  });

  test('expected load from annotations when the Optimizer has no observed load; zero load otherwise', () => {
    const noStatus = graniteOptimizer({ status: {} });
    const req = sampleRequest('deployment-create.json', (o) => {
      Object.assign((o['metadata'] as Record<string, Record<string, string>>)['annotations'] ?? {}, {
        [Annotation.expectedRpm]: '6000', [Annotation.avgInputTokens]: '512', [Annotation.avgOutputTokens]: '256',
      });
    });
    const ops = opsOf(mutateDeployment(req, view(snapshot(), [noStatus])));
    const decision = JSON.parse(String(ops.find((o) => o.path.endsWith('decision'))?.value)) as { load: { arrivalRate: number; source: string }; replicas: number };
    assert.deepEqual([decision.load.arrivalRate, decision.load.source], [6000, 'annotation']);
    const idle = opsOf(mutateDeployment(sampleRequest('deployment-create.json'), view(snapshot(), [noStatus])));
    const idleDecision = JSON.parse(String(idle.find((o) => o.path.endsWith('decision'))?.value)) as { load: { source: string }; replicas: number };
    assert.deepEqual([idleDecision.load.source, idleDecision.replicas], ['none', 1]);
    assert.ok(decision.replicas > idleDecision.replicas, `${decision.replicas} replicas for 6000 rpm vs ${idleDecision.replicas} idle`);
  });

  test('admits unchanged, with a warning, when it cannot place', () => {
    const cases: [ReturnType<typeof view>, (o: Record<string, unknown>) => void, RegExp][] = [
      [view(snapshot(), []), () => undefined, /Optimizer models\/granite-13b not found; admitted unchanged/],
      [view(snapshot({ classes: { byName: new Map(), byRef: new Map() } })), () => undefined, /service class "Premium" does not exist/],
      [view(), (o) => { ((o['spec'] as { template: { spec: Record<string, unknown> } }).template.spec)['nodeSelector'] = { 'nvidia.com/gpu.product': 'NVIDIA-L4' }; }, /nodeSelector nvidia.com\/gpu.product=NVIDIA-L4 matches no profiled accelerator/],
      [view(snapshot({ free: {} })), () => undefined, /no placement for models\/granite-13b: no capacity/],
      [view(), (o) => { (o['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['containers'] = []; }, /not a Deployment it can place/],
    ];
    for (const [v, edit, message] of cases) {
      const verdict = mutateDeployment(sampleRequest('deployment-create.json', edit), v);
      assert.equal(verdict.type, 'allow');
      assert.match(verdict.warnings.join('\n'), message);
    }
  });

  test('ignores Deployments without the opt-in label, and DELETE', () => {
    const plain = sampleRequest('deployment-create.json', (o) => {
      Reflect.deleteProperty((o['metadata'] as Record<string, Record<string, string>>)['labels'] ?? {}, Label.managed);
    });
    assert.deepEqual(mutateDeployment(plain, view()), { type: 'allow', warnings: [] });
    assert.deepEqual(mutateDeployment({ ...sampleRequest('deployment-create.json'), operation: 'DELETE' }, view()), { type: 'allow', warnings: [] });
  });
});
