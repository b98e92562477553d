// The two places where inferno plugs into the control plane, exercised with throw-away servers:
// - kube-scheduler calls a scheduler extender configured through `schedulerConfig` (HTTP, PascalCase
//   ExtenderArgs/ExtenderFilterResult);
// - kube-apiserver calls a mutating admission webhook at https://127.0.0.1:<port> whose serving
//   certificate comes from `cluster.issueServingCert()`.
// inferno's real extender and webhook will replace these stand-ins in their own suites.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { startCluster, waitFor, type Cluster } from './cluster.js';

const NS = 'extension-points';
const CHOSEN_NODE = 'gpu-h100-1';
const MUTATED_LABEL = 'e2e.inferno.llmd.ai/mutated';

const ExtenderArgs = z.object({
  Pod: z.object({ metadata: z.object({ name: z.string().optional(), namespace: z.string().optional() }) }),
  NodeNames: z.array(z.string()).nullish(),
});
const AdmissionReview = z.object({
  apiVersion: z.literal('admission.k8s.io/v1'),
  kind: z.literal('AdmissionReview'),
  request: z.object({ uid: z.string(), dryRun: z.boolean().optional() }),
});
const PodList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), labels: z.record(z.string(), z.string()).default({}) }),
      spec: z.object({ nodeName: z.string().optional() }),
      status: z.object({ phase: z.string().optional() }),
    }),
  ),
});
const PodSchema = z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()).default({}) }) });

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

void describe('e2e extension points: scheduler extender and admission webhook', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  const filterCalls: string[] = [];
  let admissionCalls = 0;

  // Scheduler extender stand-in: only CHOSEN_NODE passes the filter.
  const extender = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      if (req.method !== 'POST' || req.url !== '/scheduler/filter') {
        res.writeHead(404).end();
        return;
      }
      const args = ExtenderArgs.parse(JSON.parse(body));
      filterCalls.push(args.Pod.metadata.name ?? '?');
      const names = args.NodeNames ?? [];
      const failed = Object.fromEntries(names.filter((n) => n !== CHOSEN_NODE).map((n) => [n, 'not chosen by the e2e extender']));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ NodeNames: names.filter((n) => n === CHOSEN_NODE), FailedNodes: failed, Error: '' }));
    });
  });
  let webhook: https.Server | undefined;

  before(async () => {
    const extenderPort = await listen(extender);
    cluster = await startCluster({
      schedulerConfig: {
        extenders: [
          {
            urlPrefix: `http://127.0.0.1:${extenderPort}/scheduler`,
            filterVerb: 'filter',
            enableHTTPS: false,
            nodeCacheCapable: true,
            httpTimeout: '5s',
            ignorable: false,
            managedResources: [{ name: 'nvidia.com/gpu', ignoredByScheduler: false }],
          },
        ],
      },
    });
    await cluster.kubectl(['create', 'namespace', NS]);
  });

  after(async () => {
    await cluster.stop();
    await close(extender);
    if (webhook) await close(webhook);
  });

  it('calls a mutating admission webhook served on https://127.0.0.1', async () => {
    const tls = await cluster.issueServingCert('canary-webhook');
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      void readBody(req).then((body) => {
        const review = AdmissionReview.parse(JSON.parse(body));
        admissionCalls++;
        const patch = [{ op: 'add', path: `/metadata/labels/${MUTATED_LABEL.replace('/', '~1')}`, value: 'true' }];
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: review.request.uid,
              allowed: true,
              patchType: 'JSONPatch',
              patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
            },
          }),
        );
      });
    });
    webhook = server;
    const port = await listen(server);
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'e2e-canary' },
        webhooks: [
          {
            name: 'canary.e2e.inferno.llmd.ai',
            clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: tls.ca.toString('base64') },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            timeoutSeconds: 5,
            failurePolicy: 'Fail',
          },
        ],
      }),
    });
    // The configuration object existing does not mean the apiserver's informer has it: probe with a
    // dry-run create until the mutation shows up.
    const probe = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: NS, labels: { app: 'probe' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await waitFor(
      'the webhook to mutate a dry-run Pod',
      async () => {
        const out = await cluster.kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: probe });
        return PodSchema.parse(JSON.parse(out)).metadata.labels[MUTATED_LABEL] === 'true';
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.ok(admissionCalls > 0);
  });

  it('places GPU pods where the scheduler extender says, and they run', async () => {
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'extender-canary', namespace: NS },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'extender-canary' } },
          template: {
            metadata: { labels: { app: 'extender-canary' } },
            spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:latest', resources: { limits: { 'nvidia.com/gpu': '2' } } }] },
          },
        },
      }),
    });
    let pods = PodList.parse({ items: [] });
    await waitFor(
      'both pods Running',
      async () => {
        pods = PodList.parse(JSON.parse(await cluster.kubectl(['get', 'pods', '-n', NS, '-l', 'app=extender-canary', '-o', 'json'])));
        return pods.items.length === 2 && pods.items.every((p) => p.status.phase === 'Running');
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    for (const pod of pods.items) {
      assert.equal(pod.spec.nodeName, CHOSEN_NODE, pod.metadata.name);
      assert.equal(pod.metadata.labels[MUTATED_LABEL], 'true', `${pod.metadata.name} was not mutated by the webhook`);
    }
    assert.ok(filterCalls.length >= 2, `extender filter calls: ${filterCalls.join(', ')}`);
  });
});
