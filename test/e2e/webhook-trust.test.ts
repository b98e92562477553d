// Trusted configuration in a real control plane: `inferno serve` runs with the ServiceAccount and RBAC of
// deploy/base/rbac.yaml (a token for it, not the admin kubeconfig), so it can read ConfigMaps in inferno-system
// only. A labelled ConfigMap in a tenant namespace is denied at apply time; one that exists elsewhere anyway
// (kube-system, which the validating webhooks skip) changes nothing in the plan; and inferno's own ConfigMaps can be
// edited while the webhook is down.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { z } from 'zod';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, serviceAccountKubeconfig, startCluster, waitFor } from './cluster.js';
import { Annotation, ConfigRole, DefaultNamespace, Label } from '../../src/domain/keys.js';

const BIN = path.join(REPO_ROOT, 'bin', 'inferno.js');
const SUPERVISOR = path.join(REPO_ROOT, 'test', 'e2e', 'supervise.sh');
const NS = 'models';
const TENANT = 'zz-tenant';
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);

const Decision = z.object({ metadata: z.object({ annotations: z.record(z.string(), z.string()).optional() }) });

const deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: {
    name: 'granite-13b', namespace: NS, labels: { app: 'granite-13b', [Label.managed]: 'true' },
    annotations: { [Annotation.expectedRpm]: '600', [Annotation.avgInputTokens]: '512', [Annotation.avgOutputTokens]: '256' },
  },
  spec: {
    replicas: 1, selector: { matchLabels: { app: 'granite-13b' } },
    template: { metadata: { labels: { app: 'granite-13b' } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['ibm-granite/granite-13b-instruct'] }] } },
  },
};

/** A service class that would make the Premium SLO unreachable (1 ms ITL), named like inferno's own. */
const hijack = (namespace: string): Record<string, unknown> => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name: 'inferno-service-classes', namespace, labels: { [Label.config]: ConfigRole.serviceClasses } },
  data: { premium: stringify({ name: 'Premium', priority: 1, data: [{ model: 'ibm-granite/granite-13b-instruct', 'slo-itl': 1, 'slo-ttft': 1 }] }) },
});

void describe('e2e: inferno reads its configuration from its own namespace only', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let work = '';
  let server: ChildProcess | undefined;
  let port = 0;
  let certDir = '';
  let caPem = Buffer.alloc(0);
  const apply = (obj: unknown, ...extra: string[]): Promise<string> => cluster.kubectl(['apply', ...extra, '-f', '-'], { input: JSON.stringify(obj) });
  const decision = async (): Promise<string | undefined> =>
    Decision.parse(JSON.parse(await apply(deployment, '--dry-run=server', '-o', 'json'))).metadata.annotations?.[Annotation.decision];

  before(async () => {
    cluster = await startCluster();
    work = await mkdtemp(path.join(tmpdir(), 'inferno-e2e-trust-'));
    certDir = path.join(work, 'certs');
    await promisify(execFile)(process.execPath, [BIN, 'certs', '--out', certDir]);
    caPem = readFileSync(path.join(certDir, 'ca.crt'));
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml'), '-f', file('deploy', 'base', 'rbac.yaml')]);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'config.yaml')]);
    await cluster.kubectl(['create', 'namespace', NS]);
    await cluster.kubectl(['create', 'namespace', TENANT]);

    [port] = await freePorts(1) as [number];
    const configs = parseAllDocuments(readFileSync(file('deploy', 'base', 'webhooks.yaml'), 'utf8')).map((d) => d.toJS() as { webhooks: { clientConfig: Record<string, unknown> }[] });
    for (const c of configs) for (const w of c.webhooks) w.clientConfig = { url: `https://127.0.0.1:${port}${(w.clientConfig['service'] as { path: string }).path}` };
    await apply({ apiVersion: 'v1', kind: 'List', items: configs });

    // The server gets exactly deploy/base/rbac.yaml's permissions: a token of its ServiceAccount.
    const { file: kubeconfig } = await serviceAccountKubeconfig(cluster, { namespace: DefaultNamespace, name: 'inferno' }, path.join(work, 'inferno.kubeconfig'), '1h');
    const log = openSync(path.join(cluster.workdir, 'inferno-serve-trust.log'), 'a');
    server = spawn('bash', [SUPERVISOR, 'run', process.execPath, BIN, 'serve', '--kubeconfig', kubeconfig, '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--inject-ca-bundle', '--drain-seconds', '0'], { stdio: ['pipe', log, log] });
    await waitFor('inferno serve to be ready', async () => (await httpGet(`https://127.0.0.1:${port}/readyz`, { ca: caPem })).status === 200, { timeoutMs: 60_000, intervalMs: 300 });
    await cluster.kubectl(['apply', '-n', NS, '-f', file('samples', 'optimizer-granite.yaml')]);
    await waitFor('the webhook to place the Deployment', async () => (await decision()) !== undefined, { timeoutMs: 60_000, intervalMs: 500 });
  });

  after(async () => {
    server?.stdin?.end();
    if (server !== undefined && server.exitCode === null) await new Promise((r) => server?.once('exit', r));
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  });

  void it('the ServiceAccount can read ConfigMaps in inferno-system only', async () => {
    // `can-i --quiet` answers with its exit code: 0 yes, 1 no.
    const can = async (...args: string[]): Promise<string> => {
      try {
        await cluster.kubectl(['auth', 'can-i', '--quiet', ...args, `--as=system:serviceaccount:${DefaultNamespace}:inferno`]);
        return 'yes';
      } catch (e) {
        return /failed \(1\)/.test(String(e)) ? 'no' : String(e);
      }
    };
    assert.equal(await can('list', 'configmaps', '-n', DefaultNamespace), 'yes');
    assert.equal(await can('list', 'configmaps', '-n', TENANT), 'no');
    assert.equal(await can('list', 'configmaps', '--all-namespaces'), 'no');
  });

  void it('denies a labelled ConfigMap in a tenant namespace, saying where inferno\'s configuration lives', async () => {
    await assert.rejects(apply(hijack(TENANT)), (e: unknown) => {
      assert.match(String(e), /admission webhook "validate-config\.inferno\.llmd\.ai" denied the request: inferno reads its configuration only from ConfigMaps in namespace "inferno-system"; this one is in "zz-tenant"/);
      return true;
    });
    const controller = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'take-over', namespace: TENANT, labels: { [Label.config]: ConfigRole.controller } }, data: { mode: 'unlimited' } };
    await assert.rejects(apply(controller), /validate-config\.inferno\.llmd\.ai" denied the request/);
  });

  void it('a labelled ConfigMap that exists outside inferno-system changes nothing in the plan', async () => {
    const before = await decision();
    assert.ok(before !== undefined);
    // kube-system is skipped by the validating webhooks, so this one is created. Read, it would make the Premium
    // SLO unreachable and the Deployment would be admitted unplaced.
    await apply(hijack('kube-system'));
    // Then a change inferno must see, in its own namespace: once it is visible, the earlier kube-system map would
    // have been seen too by a cluster-wide watch (one stream, in resourceVersion order).
    await cluster.kubectl(['patch', 'configmap', 'inferno-accelerators', '-n', DefaultNamespace, '--type=merge', '-p', JSON.stringify({ data: { PROBE: '{device: NVIDIA-PROBE, cost: 1}' } })]);
    const probe = {
      apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'probe', namespace: NS },
      // fast enough for any SLO, the hijacked one included: only the catalog decides whether it is admitted
      spec: { modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'PROBE', accCount: 1, maxBatchSize: 8, alpha: 0.01, beta: 0.001 }] } },
    };
    await waitFor('the webhook to see its own ConfigMap change', async () => {
      try {
        await apply(probe, '--dry-run=server');
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs: 30_000, intervalMs: 300 });
    assert.equal(await decision(), before);
  });

  void it('a new CA on disk is re-injected into both webhook configurations, and admission keeps working through it', async () => {
    const Config = z.object({ webhooks: z.array(z.object({ name: z.string(), clientConfig: z.object({ caBundle: z.string().optional() }) })) });
    const bundles = async (): Promise<string[]> => (await Promise.all(['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']
      .map(async (kind) => Config.parse(await cluster.kubectlJson(['get', kind, 'inferno-webhook'])).webhooks.map((w) => w.clientConfig.caBundle ?? '')))).flat();
    assert.ok((await bundles()).every((b) => b === caPem.toString('base64')), 'injected at start-up');
    await promisify(execFile)(process.execPath, [BIN, 'certs', '--out', certDir, '--new-ca']);
    const rotated = readFileSync(path.join(certDir, 'ca.crt'));
    assert.notDeepEqual(rotated, caPem);
    await waitFor('the new CA in every webhook', async () => (await bundles()).every((b) => b === rotated.toString('base64')), { timeoutMs: 30_000, intervalMs: 300 });
    caPem = rotated;
    await waitFor('admission through the new certificate', async () => {
      try {
        await apply(hijack(TENANT));
        return false;
      } catch (e) {
        return /validate-config\.inferno\.llmd\.ai" denied the request: inferno reads its configuration only/.test(String(e));
      }
    }, { timeoutMs: 30_000, intervalMs: 300 });
  });

  void it('inferno\'s own ConfigMap can be edited while the webhook is stopped; other namespaces stay closed', async () => {
    server?.stdin?.end();
    if (server !== undefined && server.exitCode === null) await new Promise((r) => server?.once('exit', r));
    await assert.rejects(httpGet(`https://127.0.0.1:${port}/healthz`, { ca: caPem }), /ECONNREFUSED/);
    await cluster.kubectl(['patch', 'configmap', 'inferno-controller', '-n', DefaultNamespace, '--type=merge', '-p', JSON.stringify({ data: { saturationPolicy: 'None' } })]);
    const cm = z.object({ data: z.record(z.string(), z.string()) }).parse(await cluster.kubectlJson(['get', 'configmap', 'inferno-controller', '-n', DefaultNamespace]));
    assert.equal(cm.data['saturationPolicy'], 'None');
    await assert.rejects(apply(hijack(TENANT)), /failed calling webhook "validate-config\.inferno\.llmd\.ai"/);
  });
});
