// Smoke test of the real control plane: CRD + Optimizer sample applied with kubectl, a plain
// Deployment scheduled by kube-scheduler onto a fake GPU node and made Running by kwok, and a
// teardown that leaves no process and no bound port behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { portIsFree, processAlive, REPO_ROOT, startCluster, waitFor, type Cluster } from './cluster.js';

const CRD = path.join(REPO_ROOT, 'deploy', 'crd', 'optimizers.llmd.ai.yaml');
const SAMPLE = path.join(REPO_ROOT, 'samples', 'optimizer-granite.yaml');
const NS = 'smoke';

const PodList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      spec: z.object({ nodeName: z.string().optional() }),
      status: z.object({ phase: z.string().optional(), podIP: z.string().optional() }),
    }),
  ),
});

const OptimizerSchema = z.object({
  spec: z.object({
    modelID: z.string(),
    modelProfile: z.object({ accelerators: z.array(z.record(z.string(), z.unknown())).min(1) }),
  }),
});

void describe('e2e smoke: real control plane with fake GPU nodes', { timeout: 600_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster();
    await cluster.kubectl(['create', 'namespace', NS]);
  });

  after(async () => {
    await cluster.stop();
  });

  void it('serves the fake GPU node inventory', async () => {
    const out = await cluster.kubectl(['get', 'nodes', '-L', 'nvidia.com/gpu.product', '--no-headers']);
    assert.equal(out.trim().split('\n').length, cluster.nodes.length);
    assert.equal(cluster.nodes.length, 14);
    const a100 = z
      .object({ status: z.object({ allocatable: z.record(z.string(), z.string()) }), metadata: z.object({ labels: z.record(z.string(), z.string()) }) })
      .parse(await cluster.kubectlJson(['get', 'node', 'gpu-a100-0']));
    assert.equal(a100.status.allocatable['nvidia.com/gpu'], '8');
    assert.equal(a100.metadata.labels['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-80GB');
  });

  void it('applies the Optimizer CRD and the granite sample with kubectl', async () => {
    await cluster.kubectl(['apply', '-f', CRD]);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await cluster.kubectl(['apply', '-n', NS, '-f', SAMPLE]);
    // What the API server stored (after schema pruning) is what the sample says.
    const sample = OptimizerSchema.extend({ metadata: z.object({ name: z.string() }) }).parse(parseYaml(readFileSync(SAMPLE, 'utf8')));
    const opt = OptimizerSchema.parse(await cluster.kubectlJson(['get', 'optimizer', sample.metadata.name, '-n', NS]));
    assert.equal(opt.spec.modelID, sample.spec.modelID);
    assert.deepEqual(opt.spec.modelProfile.accelerators, sample.spec.modelProfile.accelerators);
    // The schema rejects a non-numeric profile value.
    await assert.rejects(
      cluster.kubectl(['apply', '-n', NS, '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'llmd.ai/v1alpha1',
          kind: 'Optimizer',
          metadata: { name: 'bad' },
          spec: { modelID: 'm', modelProfile: { accelerators: [{ acc: 'A100', accCount: 1, maxBatchSize: 8, alpha: 'fast', beta: 1 }] } },
        }),
      }),
      /alpha/,
    );
  });

  void it('kubectl explain describes the fields; atTokens 0 and spec.maxBatchSize are stored as inferno reads them', async () => {
    const explain = await cluster.kubectl(['explain', 'optimizers.spec.modelProfile.accelerators.atTokens']);
    assert.match(explain, /Average output tokens per request at which maxBatchSize was measured/);
    const spec = await cluster.kubectl(['explain', 'optimizers.spec']);
    for (const field of ['modelID', 'serviceClass', 'sloClassRef', 'minReplicas', 'maxReplicas', 'keepAccelerator', 'maxBatchSize', 'modelProfile']) {
      assert.match(spec, new RegExp(`^ {2}${field}\\s`, 'm'), `kubectl explain lists ${field}`);
    }
    await cluster.kubectl(['apply', '-n', NS, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'unscaled' },
        spec: { modelID: 'm', serviceClass: 'Premium', maxBatchSize: 16, modelProfile: { accelerators: [{ acc: 'A100', accCount: 1, maxBatchSize: 8, atTokens: 0, alpha: 1, beta: 1 }] } },
      }),
    });
    const stored = z.object({ spec: z.object({ maxBatchSize: z.number(), modelProfile: z.object({ accelerators: z.array(z.object({ atTokens: z.number() })) }) }) })
      .parse(await cluster.kubectlJson(['get', 'optimizer', 'unscaled', '-n', NS]));
    assert.equal(stored.spec.maxBatchSize, 16, 'not pruned');
    assert.equal(stored.spec.modelProfile.accelerators[0]?.atTokens, 0);
  });

  void it('schedules a plain Deployment onto a fake GPU node and kwok makes its pod Running', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vllm-smoke', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'vllm-smoke' } },
        template: {
          metadata: { labels: { app: 'vllm-smoke' } },
          spec: {
            containers: [
              {
                name: 'vllm',
                image: 'vllm/vllm-openai:latest',
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(deployment) });
    let pods = PodList.parse({ items: [] });
    await waitFor(
      'the Deployment pod to be Running',
      async () => {
        pods = PodList.parse(await cluster.kubectlJson(['get', 'pods', '-n', NS, '-l', 'app=vllm-smoke']));
        return pods.items.length === 1 && pods.items[0]?.status.phase === 'Running';
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const pod = pods.items[0];
    assert.ok(pod);
    const gpuNodes = new Set(cluster.nodes.filter((n) => n.resource === 'nvidia.com/gpu').map((n) => n.name));
    assert.ok(pod.spec.nodeName !== undefined && gpuNodes.has(pod.spec.nodeName), `nodeName ${String(pod.spec.nodeName)}`);
    assert.equal(pod.status.phase, 'Running');
    assert.match(pod.status.podIP ?? '', /^10\.244\./);
    await cluster.kubectl(['rollout', 'status', `deployment/vllm-smoke`, '-n', NS, '--timeout=60s']);
  });

  void it('tears down completely: no process left, every port free', async () => {
    const pids = cluster.pids();
    assert.ok(pids.length >= 10, `supervisors and components: ${pids.join(' ')}`);
    await cluster.stop();
    for (const pid of pids) assert.equal(processAlive(pid), false, `pid ${pid} still alive`);
    for (const [name, port] of Object.entries(cluster.ports)) {
      assert.equal(await portIsFree(port), true, `${name} port ${port} still bound`);
    }
  });
});
