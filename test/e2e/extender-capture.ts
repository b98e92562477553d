// Records what a real kube-scheduler sends a scheduler extender, for the unit tests' fixtures
// (test/fixtures/extender/). Starts the e2e control plane, a plain-HTTP recorder on loopback and a second
// kube-scheduler with two extenders — one nodeCacheCapable (NodeNames), one not (full Node objects) — then
// schedules one pod shaped as inferno's webhook leaves it, and writes each verb's first request body:
//   node --import tsx test/e2e/extender-capture.ts
// Re-run it when the Kubernetes version of the e2e binaries changes.
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, startCluster, waitFor } from './cluster.js';
import { startScheduler } from './extender-scheduler.js';
import { Extender, Label } from '../../src/domain/keys.js';

const OUT = path.join(REPO_ROOT, 'test', 'fixtures', 'extender');
const seen = new Map<string, unknown>();

const recorder = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { NodeNames?: string[] | null; Nodes?: unknown };
    const key = (req.url ?? '').slice(1).replace('/', '-'); // names-filter, objects-prioritize, ...
    if (!seen.has(key)) seen.set(key, body);
    res.setHeader('content-type', 'application/json');
    if (key.endsWith('filter')) res.end(JSON.stringify({ Nodes: body.Nodes ?? null, NodeNames: body.NodeNames ?? null, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' }));
    else res.end(JSON.stringify((body.NodeNames ?? []).map((n) => ({ Host: n, Score: 0 }))));
  });
});
await new Promise<void>((ok) => recorder.listen(0, '127.0.0.1', ok));
const port = (recorder.address() as AddressInfo).port;

const cluster = await startCluster();
try {
  const extender = (prefix: string, nodeCacheCapable: boolean): Record<string, unknown> => ({
    urlPrefix: `http://127.0.0.1:${port}/${prefix}`, filterVerb: Extender.filterVerb, prioritizeVerb: Extender.prioritizeVerb,
    weight: 1, nodeCacheCapable, httpTimeout: '5s',
    // A managed resource may be named by one extender only; the other then sees every pod.
    ...(nodeCacheCapable ? { managedResources: [{ name: 'nvidia.com/gpu', ignoredByScheduler: true }] } : {}),
  });
  const scheduler = await startScheduler(cluster, 'capture-scheduler', {
    apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration',
    profiles: [{ schedulerName: Extender.schedulerName }],
    extenders: [extender('names', true), extender('objects', false)],
  });
  await cluster.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'granite-13b-7d9f8c6b5-x2x4q', namespace: 'default', labels: { app: 'granite-13b', [Label.accelerator]: 'A100' } },
      spec: {
        schedulerName: Extender.schedulerName,
        nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
        containers: [{
          name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['ibm-granite/granite-13b-instruct', '--max-num-seqs=$(INFERNO_MAX_BATCH_SIZE)'],
          env: [{ name: 'INFERNO_MAX_BATCH_SIZE', value: '32' }],
          resources: { requests: { 'nvidia.com/gpu': '1', cpu: '4', memory: '32Gi' }, limits: { 'nvidia.com/gpu': '1' } },
        }],
      },
    }),
  });
  await waitFor('the four extender calls', () => Promise.resolve(seen.size === 4), { timeoutMs: 60_000 });
  mkdirSync(OUT, { recursive: true });
  for (const [key, body] of seen) writeFileSync(path.join(OUT, `${key}.json`), `${JSON.stringify(body, null, 2)}\n`);
  process.stderr.write(`wrote ${[...seen.keys()].map((k) => `${k}.json`).join(', ')} to ${OUT}\n`);
  await scheduler.stop();
} finally {
  await cluster.stop();
  recorder.close();
}
