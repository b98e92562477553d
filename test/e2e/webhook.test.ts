// The admission webhook in a real control plane: kube-apiserver calls `inferno serve` (a real HTTPS process on
// loopback, registered with the webhook configurations from deploy/ pointed at its URL), kube-scheduler places
// the mutated pods and kwok runs them on fake GPU nodes.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, startCluster, waitFor } from './cluster.js';
import { Annotation, Label } from '../../src/domain/keys.js';
import { BatchSizeEnv, MaxNumSeqsFlag } from '../../src/placement/pod-template.js';

const BIN = path.join(REPO_ROOT, 'bin', 'inferno.js');
const SUPERVISOR = path.join(REPO_ROOT, 'test', 'e2e', 'supervise.sh');
const NS = 'models';
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);

const DeploymentSchema = z.object({
  metadata: z.object({ annotations: z.record(z.string(), z.string()).optional() }),
  spec: z.object({
    replicas: z.number(),
    template: z.object({
      metadata: z.object({ labels: z.record(z.string(), z.string()).optional() }),
      spec: z.object({
        nodeSelector: z.record(z.string(), z.string()).optional(),
        containers: z.array(z.object({
          name: z.string(),
          args: z.array(z.string()).optional(),
          env: z.array(z.object({ name: z.string(), value: z.string().optional() })).optional(),
          resources: z.object({ requests: z.record(z.string(), z.string()).optional(), limits: z.record(z.string(), z.string()).optional() }).optional(),
        })),
      }),
    }),
  }),
});
const PodList = z.object({ items: z.array(z.object({ spec: z.object({ nodeName: z.string().optional() }), status: z.object({ phase: z.string().optional() }) })) });

function vllmDeployment(name: string, managed: boolean, annotations: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name, ...(managed ? { [Label.managed]: 'true' } : {}) }, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', command: ['vllm', 'serve'],
            args: ['ibm-granite/granite-13b-instruct', '--port', '8000', '--max-num-seqs', '256'],
          }],
        },
      },
    },
  };
}

void describe('e2e: admission webhook in a real control plane', { timeout: 900_000 }, () => {
  let cluster: Cluster;
  let certDir = '';
  let server: ChildProcess | undefined;
  let caPem = Buffer.alloc(0);
  const apply = (obj: unknown, ...extra: string[]): Promise<string> => cluster.kubectl(['apply', ...extra, '-f', '-'], { input: JSON.stringify(obj) });

  before(async () => {
    cluster = await startCluster();
    certDir = await mkdtemp(path.join(tmpdir(), 'inferno-e2e-certs-'));
    await promisify(execFile)(process.execPath, [BIN, 'certs', '--out', certDir]);
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml')]);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'config.yaml')]);
    await cluster.kubectl(['create', 'namespace', NS]);

    // deploy/base/webhooks.yaml as shipped, pointed at a local process instead of the in-cluster Service, and
    // without a caBundle: `inferno serve --inject-ca-bundle` must set it.
    const [port] = await freePorts(1);
    assert.ok(port !== undefined);
    const configs = parseAllDocuments(readFileSync(file('deploy', 'base', 'webhooks.yaml'), 'utf8')).map((d) => d.toJS() as { webhooks: { clientConfig: Record<string, unknown> }[] });
    for (const c of configs) {
      for (const w of c.webhooks) {
        const svc = w.clientConfig['service'] as { path: string };
        w.clientConfig = { url: `https://127.0.0.1:${port}${svc.path}` };
      }
    }
    await apply({ apiVersion: 'v1', kind: 'List', items: configs });

    // The real server as a separate process, under the harness's supervisor so it cannot outlive the test run.
    const log = openSync(path.join(cluster.workdir, 'inferno-serve.log'), 'a');
    server = spawn('bash', [SUPERVISOR, 'run', process.execPath, BIN, 'serve', '--kubeconfig', cluster.kubeconfig, '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--inject-ca-bundle'], { stdio: ['pipe', log, log] });
    caPem = readFileSync(path.join(certDir, 'ca.crt'));
    const ca = caPem;
    await waitFor('inferno serve to be ready', async () => (await httpGet(`https://127.0.0.1:${port}/readyz`, { ca })).status === 200, { timeoutMs: 60_000, intervalMs: 300 });
    // Webhook registration reaches the API server's admission chain asynchronously: wait until a denial shows it.
    await waitFor('the validating webhook to be active', async () => {
      try {
        await apply(badOptimizer('probe'), '--dry-run=server');
        return false;
      } catch (e) {
        return /denied the request/.test(String(e));
      }
    }, { timeoutMs: 60_000, intervalMs: 500 });
  });

  after(async () => {
    server?.stdin?.end();
    if (server !== undefined && server.exitCode === null) await new Promise((r) => server?.once('exit', r));
    await cluster.stop();
    await rm(certDir, { recursive: true, force: true });
  });

  const badOptimizer = (name: string): Record<string, unknown> => ({
    apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name, namespace: NS },
    spec: { modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'B200', accCount: 1, maxBatchSize: 32, alpha: 10, beta: 0.1 }] } },
  });

  void it('injected its CA into every webhook of both configurations at start-up', async () => {
    const Config = z.object({ webhooks: z.array(z.object({ name: z.string(), clientConfig: z.object({ caBundle: z.string().optional() }) })) });
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const c = Config.parse(await cluster.kubectlJson(['get', kind, 'inferno-webhook']));
      for (const w of c.webhooks) assert.equal(w.clientConfig.caBundle, caPem.toString('base64'), `${kind} ${w.name}`);
    }
  });

  void it('denies an Optimizer naming an unknown accelerator, with the field and the message', async () => {
    await assert.rejects(apply(badOptimizer('bad')), (e: unknown) => {
      const msg = String(e);
      assert.match(msg, /admission webhook "validate-optimizer\.inferno\.llmd\.ai" denied the request/);
      assert.match(msg, /spec\.modelProfile\.accelerators\[0\]\.acc: accelerator "B200" is not in the accelerator catalog/);
      return true;
    });
  });

  void it('denies a broken service-class ConfigMap at apply time', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'more-classes', namespace: 'inferno-system', labels: { [Label.config]: 'service-classes' } }, data: { gold: 'name: Gold\npriority: 1\ndata:\n  - {model: m, slo-itl: 40\n' } };
    // inferno-system: the fail-open webhook for inferno's own ConfigMaps (editable while inferno is down)
    await assert.rejects(apply(cm), /validate-own-config\.inferno\.llmd\.ai" denied the request: .*data\.gold: invalid YAML at line/s);
  });

  void it('places an opt-in Deployment at admission: nodeSelector, GPUs, batch size; its pods run on that GPU product', async () => {
    await cluster.kubectl(['apply', '-n', NS, '-f', file('samples', 'optimizer-granite.yaml')]);
    const deployment = vllmDeployment('granite-13b', true, { [Annotation.expectedRpm]: '600', [Annotation.avgInputTokens]: '512', [Annotation.avgOutputTokens]: '256' });
    // The webhook learns of the Optimizer through its informer (admission never calls the API server): wait for it.
    await waitFor('the webhook to know the Optimizer', async () => {
      const dry = DeploymentSchema.parse(JSON.parse(await apply(deployment, '--dry-run=server', '-o', 'json')));
      return dry.spec.template.metadata.labels?.[Label.accelerator] !== undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    await apply(deployment);
    const d = DeploymentSchema.parse(await cluster.kubectlJson(['get', 'deployment', 'granite-13b', '-n', NS]));
    const accelerator = d.spec.template.metadata.labels?.[Label.accelerator];
    assert.ok(accelerator !== undefined, 'accelerator label set');
    const decision = JSON.parse(d.metadata.annotations?.[Annotation.decision] ?? '{}') as { accelerator: string; maxBatch: number; replicas: number; load: { arrivalRate: number; source: string } };
    assert.equal(decision.accelerator, accelerator);
    assert.deepEqual([decision.load.arrivalRate, decision.load.source], [600, 'annotation']);
    assert.equal(d.spec.replicas, decision.replicas);
    const selector = Object.entries(d.spec.template.spec.nodeSelector ?? {});
    assert.equal(selector.length, 1, JSON.stringify(selector));
    const [labelKey, product] = selector[0] ?? ['', ''];
    const c = d.spec.template.spec.containers[0];
    assert.ok(c !== undefined);
    assert.deepEqual(c.env?.find((e) => e.name === BatchSizeEnv), { name: BatchSizeEnv, value: String(decision.maxBatch) });
    assert.deepEqual(c.args?.filter((a) => a.startsWith('--max-num-seqs')), [`${MaxNumSeqsFlag}=$(${BatchSizeEnv})`]);
    assert.ok(!(c.args ?? []).includes('256'), 'the old value is gone');
    const gpu = Object.entries(c.resources?.limits ?? {}).find(([k]) => k.endsWith('/gpu') || k === 'habana.ai/gaudi');
    assert.ok(gpu !== undefined, JSON.stringify(c.resources));
    assert.equal(c.resources?.requests?.[gpu[0]], gpu[1]);

    let pods = PodList.parse({ items: [] });
    await waitFor('the placed pods to be Running', async () => {
      pods = PodList.parse(await cluster.kubectlJson(['get', 'pods', '-n', NS, '-l', 'app=granite-13b']));
      return pods.items.length === decision.replicas && pods.items.every((p) => p.status.phase === 'Running');
    }, { timeoutMs: 120_000, intervalMs: 500 });
    const onProduct = new Set(cluster.nodes.filter((n) => n.labels[labelKey] === product).map((n) => n.name));
    assert.ok(onProduct.size > 0, `fake nodes with ${labelKey}=${product}`);
    for (const p of pods.items) assert.ok(onProduct.has(p.spec.nodeName ?? ''), `pod on ${String(p.spec.nodeName)}, not a ${product} node`);
  });

  void it('places every sample model (samples/models) and runs its pods on the chosen GPU product', async () => {
    await cluster.kubectl(['create', 'namespace', 'samples']);
    const dir = file('samples', 'models');
    // Optimizers first; the webhook sees them through its informer a moment later (admission never calls the API
    // server), so wait until a server-side dry run of the Deployments comes back placed.
    await cluster.kubectl(['apply', '-n', 'samples', '-f', dir, '-l', `!${Label.managed}`]);
    const Placed = z.object({ items: z.array(z.object({ spec: z.object({ template: z.object({ metadata: z.object({ labels: z.record(z.string(), z.string()) }) }) }) })) });
    await waitFor('the webhook to know the sample Optimizers', async () => {
      const dry = Placed.parse(JSON.parse(await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-n', 'samples', '-f', dir, '-l', `${Label.managed}=true`])));
      return dry.items.length === 3 && dry.items.every((i) => i.spec.template.metadata.labels[Label.accelerator] !== undefined);
    }, { timeoutMs: 30_000, intervalMs: 300 });
    await cluster.kubectl(['apply', '-n', 'samples', '-f', dir, '-l', `${Label.managed}=true`]);
    for (const name of ['granite-13b', 'llama-8b', 'llama-70b']) {
      const d = DeploymentSchema.parse(await cluster.kubectlJson(['get', 'deployment', name, '-n', 'samples']));
      const [labelKey, product] = Object.entries(d.spec.template.spec.nodeSelector ?? {})[0] ?? ['', ''];
      assert.notEqual(product, '', `${name} got a GPU nodeSelector`);
      await waitFor(`${name}'s pods to be Running`, async () => {
        const pods = PodList.parse(await cluster.kubectlJson(['get', 'pods', '-n', 'samples', '-l', `app=${name}`]));
        return pods.items.length === d.spec.replicas && pods.items.every((p) => p.status.phase === 'Running'
          && cluster.nodes.some((n) => n.name === p.spec.nodeName && n.labels[labelKey] === product));
      }, { timeoutMs: 120_000, intervalMs: 500 });
    }
  });

  void it('leaves a Deployment without the opt-in label untouched', async () => {
    const plain = vllmDeployment('plain', false);
    await apply(plain);
    const d = DeploymentSchema.parse(await cluster.kubectlJson(['get', 'deployment', 'plain', '-n', NS]));
    assert.equal(d.spec.template.spec.nodeSelector, undefined);
    assert.equal(d.metadata.annotations?.[Annotation.decision], undefined);
    assert.deepEqual(d.spec.template.spec.containers[0]?.args, ['ibm-granite/granite-13b-instruct', '--port', '8000', '--max-num-seqs', '256']);
  });

  void it('answers a server-side dry run with the mutation and leaves no trace', async () => {
    const out = await cluster.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: JSON.stringify(vllmDeployment('dry', true, { [Annotation.optimizer]: 'granite-13b' })) });
    const d = DeploymentSchema.parse(JSON.parse(out));
    assert.ok(d.spec.template.metadata.labels?.[Label.accelerator] !== undefined, 'the dry run shows the placement');
    await assert.rejects(cluster.kubectl(['get', 'deployment', 'dry', '-n', NS]), /NotFound|not found/);
    const optimizers = z.object({ items: z.array(z.unknown()) }).parse(await cluster.kubectlJson(['get', 'optimizers', '-n', NS]));
    assert.equal(optimizers.items.length, 1, 'no Optimizer created by the probe or the dry run');
  });
});
