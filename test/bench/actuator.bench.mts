// npm run bench:actuator — the scaler's writes against a real kube-apiserver on loopback (the e2e control plane),
// under the inferno ServiceAccount. One JSON line per fleet size:
// {bench:"actuator", optimizers, concurrency, scaleMs, unchangedMs, statusMs, eventMs, totalMs}
// - scale: every Deployment's replicas 0 → 1 through the scale subresource (read + replace each);
// - unchanged: the same again (a read each, no write: the steady-state tick);
// - status: one Optimizer status merge patch each (full status with three conditions);
// - event: one Event each.
// Requests run through a pool of `--concurrency` (default 16) in flight, as a tick would bound them. The pods the
// scale-ups create cannot be scheduled (nodeSelector matches no node), so kwok does not start them and the numbers are
// the API server's, not pod churn. Needs `npm run cluster:build` first. Sizes: --sizes 10,100,500.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify as stringifyYaml } from 'yaml';
import { ScalerActuator } from '../../src/kube/scaler-actuator.js';
import { ConditionType, rfc3339, setConditions } from '../../src/scaler/status.js';
import { REPO_ROOT, startCluster } from '../e2e/cluster.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,100,500' }, concurrency: { type: 'string', default: '16' } } });
const sizes = values.sizes.split(',').map(Number);
const concurrency = Number(values.concurrency);

async function pool<T>(items: readonly T[], n: number, f: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await f(item);
    }
  }));
}

const log = (m: string): void => {
  process.stderr.write(`[bench:actuator] ${m}\n`);
};
const cluster = await startCluster({ log });
const dir = await mkdtemp(path.join(tmpdir(), 'inferno-bench-actuator-'));
try {
  const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
  await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml'), '-f', file('deploy', 'base', 'rbac.yaml')]);
  await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
  const token = (await cluster.kubectl(['-n', 'inferno-system', 'create', 'token', 'inferno', '--duration=2h'])).trim();
  const kcFile = path.join(dir, 'sa.kubeconfig');
  await writeFile(kcFile, stringifyYaml({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'b', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
    users: [{ name: 'inferno', user: { token } }],
    contexts: [{ name: 'b', context: { cluster: 'b', user: 'inferno' } }], 'current-context': 'b',
  }));
  const kc = new KubeConfig();
  kc.loadFromFile(kcFile);
  const act = new ScalerActuator({ kubeConfig: kc });

  for (const n of sizes) {
    const ns = `bench-${n}`;
    await cluster.kubectl(['create', 'namespace', ns]);
    const names = Array.from({ length: n }, (_, i) => `model-${i}`);
    log(`creating ${n} Deployments and Optimizers in ${ns}`);
    const objects = names.flatMap((name) => [
      {
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name, namespace: ns, labels: { app: name, 'inferno.llmd.ai/managed': 'true' } },
        spec: {
          replicas: 0, selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { 'inferno.llmd.ai/bench': 'no-such-node' }, containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['--max-num-seqs', '32'] }] } },
        },
      },
      {
        apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer',
        metadata: { name, namespace: ns },
        spec: { modelID: `org/${name}`, serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'A100', accCount: 1, maxBatchSize: 32, alpha: 20.58, beta: 0.41 }] } },
      },
    ]);
    for (let i = 0; i < objects.length; i += 200) await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.slice(i, i + 200) }), timeoutMs: 120_000 });
    const uids = new Map<string, string>();
    const list = (await cluster.kubectlJson(['-n', ns, 'get', 'optimizers', '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] };
    for (const o of list.items) uids.set(o.metadata.name, o.metadata.uid);

    const time = async (f: (name: string) => Promise<unknown>): Promise<number> => {
      const t0 = performance.now();
      await pool(names, concurrency, f);
      return Math.round(performance.now() - t0);
    };
    const now = new Date();
    const conditions = setConditions([], [
      { type: ConditionType.metricsAvailable, status: 'True', reason: 'MetricsFound', message: 'from 1 pod' },
      { type: ConditionType.optimizationReady, status: 'True', reason: 'OptimizationSucceeded', message: 'A100 ×1' },
      { type: ConditionType.actuated, status: 'True', reason: 'LoadIncrease', message: 'scaled 0 → 1' },
    ], now);
    const scaleMs = await time(async (name) => {
      const r = await act.scale(ns, name, 1);
      if (r.kind !== 'scaled') throw new Error(`${name}: ${JSON.stringify(r)}`);
    });
    const unchangedMs = await time(async (name) => {
      const r = await act.scale(ns, name, 1);
      if (r.kind !== 'unchanged') throw new Error(`${name}: ${JSON.stringify(r)}`);
    });
    const statusMs = await time((name) => act.writeStatus(ns, name, {
      observedGeneration: 1, accelerator: 'A100', replicas: 1, maxBatch: 32, cost: 180, itlAverage: 18, ttftAverage: 240,
      load: { arrivalRate: 60, avgInTokens: 512, avgOutTokens: 256 },
      desired: { accelerator: 'A100', replicas: 1, maxBatch: 32, cost: 180, itlAverage: 19, ttftAverage: 250 },
      lastUpdate: rfc3339(now), conditions,
    }));
    const eventMs = await time(async (name) => {
      const r = await act.event({ involved: { kind: 'Optimizer', namespace: ns, name, uid: uids.get(name) ?? '' }, type: 'Normal', reason: 'LoadIncrease', message: 'scaling up from 0 to 1: the load needs 1' });
      if (r.kind === 'failed') throw new Error(r.error);
    });
    console.log(JSON.stringify({ bench: 'actuator', optimizers: n, concurrency, scaleMs, unchangedMs, statusMs, eventMs, totalMs: scaleMs + unchangedMs + statusMs + eventMs }));
    await cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
  }
} finally {
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
