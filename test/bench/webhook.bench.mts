// npm run bench:webhook — admission latency over HTTPS at a fixed request rate. Two JSON lines:
// {bench:"webhook", mix:"none", targetRps, achievedRps, requests, errors, p50Ms, p99Ms, maxMs}, then the same with
// mix:"hostile 1/s": one hostile request per second mixed in (test/bench/hostile-client.mts, a process of its own:
// 7 MB dense bodies, the largest valid Optimizer's mutation uncached, a 10M batch size, dense YAML, a YAML bomb);
// the percentiles are those of the ordinary requests, and `hostile` sums up the hostile ones.
//
// The server runs as a child process (`inferno serve --scenario samples/scenario.yaml`, loopback only) so its CPU is its own, not shared
// with the load generator's event loop. The load is open-loop: request i is due at start + i/rate and is sent then
// (at most `concurrency` in flight over keep-alive connections, like the API server's connection pool); latency is
// from sending the request to reading the whole response. Payloads are UPDATE AdmissionReviews of a realistic vLLM
// Deployment (opt-in label, probes, volumes, managedFields, last-applied annotation; ~14 KB with object and
// oldObject), each with a fresh uid, to /mutate-deployment.
// The scenario gives the catalog, classes, node capacity and the Optimizers the payloads name, so every request
// takes the full mutator path: solve, diff, patch.
// --in-process instead serves from this process with the admission tests' fixture cluster, at the price of
// sharing the CPU with the load generator.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { Limits } from '../../src/domain/limits.js';
import { createCertificateAuthority, createServingCertificate, localSans } from '../../src/tls/forge.js';
import { spawnServe } from '../support/cli.js';

const { values } = parseArgs({ options: {
  rate: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '64' },
  'in-process': { type: 'boolean', default: false },
} });
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const warmup = Math.min(500, rate); // requests before measuring: JIT, TLS handshakes, socket pool

function deployment(i: number): object {
  const name = `granite-13b-${i % 7}`;
  const labels = { app: name, 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/part-of': 'llm-serving', 'inferno.llmd.ai/managed': 'true' };
  const spec = {
    replicas: 2,
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: { app: name } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: {
      metadata: { labels: { ...labels }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8000', 'prometheus.io/path': '/metrics' } },
      spec: {
        serviceAccountName: 'vllm',
        terminationGracePeriodSeconds: 120,
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{
          name: 'vllm',
          image: 'vllm/vllm-openai:v0.11.0',
          imagePullPolicy: 'IfNotPresent',
          command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
          args: ['--model', 'ibm-granite/granite-13b-instruct-v2', '--port', '8000', '--gpu-memory-utilization', '0.92', '--max-model-len', '8192', '--disable-log-requests', '--enable-prefix-caching', '--tensor-parallel-size', '1'],
          env: [
            { name: 'HF_HOME', value: '/models/cache' }, { name: 'VLLM_LOGGING_LEVEL', value: 'INFO' },
            { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
          ],
          ports: [{ name: 'http', containerPort: 8000, protocol: 'TCP' }],
          resources: { limits: { 'nvidia.com/gpu': '1', memory: '64Gi' }, requests: { cpu: '8', memory: '48Gi', 'nvidia.com/gpu': '1' } },
          readinessProbe: { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 1, successThreshold: 1 },
          livenessProbe: { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 120, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 1, successThreshold: 1 },
          startupProbe: { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, failureThreshold: 60, timeoutSeconds: 1, successThreshold: 1 },
          volumeMounts: [{ name: 'models', mountPath: '/models' }, { name: 'shm', mountPath: '/dev/shm' }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        }],
        volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'model-cache' } }, { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '16Gi' } }],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        securityContext: {},
      },
    },
  };
  const managed = (manager: string, operation: string): object => ({
    manager, operation, apiVersion: 'apps/v1', time: '2026-11-28T10:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(Object.keys(labels).map((k) => [`f:${k}`, {}])) }, 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"vllm"}': Object.fromEntries(['args', 'command', 'env', 'image', 'ports', 'resources', 'readinessProbe', 'livenessProbe', 'startupProbe', 'volumeMounts'].map((f) => [`f:${f}`, {}])) } } } } },
  });
  // The child server decides from samples/scenario.yaml (its Optimizers models/granite-13b-{premium,standard,free});
  // --in-process from the admission tests' fixture cluster (models/granite-13b).
  const optimizer = values['in-process'] ? 'granite-13b' : `granite-13b-${['premium', 'standard', 'free'][i % 3] ?? 'premium'}`;
  const metadata = { name, namespace: 'models', labels, annotations: { 'inferno.llmd.ai/optimizer': optimizer, 'deployment.kubernetes.io/revision': '3' }, managedFields: [managed('argocd-controller', 'Apply')] };
  const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
  // kubectl apply keeps the whole manifest again as an annotation: a large part of real request bodies.
  (metadata.annotations as Record<string, string>)['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'models', labels }, spec });
  return object;
}

/** An encoded AdmissionReview split around its uid, so every request gets a fresh uid without re-encoding. */
function admissionReview(i: number): readonly [string, string] {
  const object = deployment(i);
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: 'UID',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: (object as { metadata: { name: string } }).metadata.name, namespace: 'models', operation: 'UPDATE',
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller', uid: 'f0b5', groups: ['system:serviceaccounts', 'system:serviceaccounts:argocd', 'system:authenticated'] },
      object, oldObject: object, dryRun: false,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: 'argocd-controller' },
    },
  }).split('"UID"') as [string, string];
}

const dir = await mkdtemp(join(tmpdir(), 'inferno-bench-'));
const ca = createCertificateAuthority({ commonName: 'inferno bench CA', days: 1 });
const leaf = createServingCertificate(ca, { dnsNames: [...localSans.dnsNames], ipAddresses: [...localSans.ipAddresses], days: 1 });
await writeFile(join(dir, 'tls.crt'), leaf.certPem);
await writeFile(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
await writeFile(join(dir, 'ca.crt'), ca.certPem);

// samples/scenario.yaml plus what the hostile client needs: 64 more accelerators and the largest valid Optimizer
// (a profile on each, at the batch-size bound).
const heavyAccelerators = Array.from({ length: Limits.maxProfiles }, (_, i) => `G${i}`);
const scenarioFile = join(dir, 'scenario.yaml');
await writeFile(scenarioFile, [
  await readFile(new URL('../../samples/scenario.yaml', import.meta.url), 'utf8'),
  stringify({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'bench-accelerators', namespace: 'inferno-system', labels: { 'inferno.llmd.ai/config': 'accelerators' } },
    data: Object.fromEntries(heavyAccelerators.map((a, i) => [a, `{device: NVIDIA-${a}, cost: ${100 + i}}`])),
  }),
  stringify({
    apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'heavy', namespace: 'models' },
    spec: {
      modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium',
      modelProfile: { accelerators: heavyAccelerators.map((acc, i) => ({ acc, accCount: 1, maxBatchSize: Limits.maxBatchSize, atTokens: 0, alpha: 5 + i * 0.05, beta: 0.005, gamma: 40, delta: 0.001 })) },
    },
  }),
].join('\n---\n'));

/** The server under test: `inferno serve` as a child process, or (--in-process) the app over a fixture cluster. */
async function startServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  if (values['in-process']) {
    const { startHttpsServer } = await import('../../src/http/https-server.js');
    const { createAdmissionMetrics } = await import('../../src/metrics/admission.js');
    const { createWebhookApp } = await import('../../src/http/webhook-app.js');
    const { createAdmissionRoutes } = await import('../../src/http/admission-routes.js');
    const { view } = await import('../support/cluster.js');
    const app = createWebhookApp({ routes: createAdmissionRoutes({ view: view() }), metrics: createAdmissionMetrics(), ready: () => true });
    const server = await startHttpsServer(app, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), port: 0, host: '127.0.0.1' });
    return { port: server.port, stop: () => server.close(1000) };
  }
  const { child, port, exited } = await spawnServe(['--scenario', scenarioFile, '--host', '127.0.0.1', '--port', '0', '--cert-dir', dir, '--drain-seconds', '0']);
  return { port, stop: async () => { child.kill('SIGTERM'); await exited; } };
}
const { port, stop } = await startServer();

const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: ca.certPem });
const templates = Array.from({ length: 7 }, (_, i) => admissionReview(i)); // pre-encoded: measure the server, not JSON.stringify
const payloadBytes = Buffer.byteLength(templates[0]?.join('"bench-00000000"') ?? '');

const outcomes = new Map<string, number>();

function post(i: number): Promise<{ ok: boolean; ms: number }> {
  const [head, tail] = templates[i % templates.length] ?? ['', ''];
  const uid = `bench-${i}-${process.hrtime.bigint().toString(36)}`;
  const body = `${head}"${uid}"${tail}`;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/mutate-deployment', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const ms = performance.now() - t0;
        let ok = res.statusCode === 200;
        if (ok) {
          const r = JSON.parse(Buffer.concat(chunks).toString()) as { response?: { uid?: string; allowed?: boolean; patch?: string } };
          ok = r.response?.uid === uid && typeof r.response.allowed === 'boolean';
          const outcome = r.response?.allowed !== true ? 'denied' : r.response.patch !== undefined ? 'patched' : 'allowed';
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
        resolve({ ok, ms });
      });
    });
    req.on('error', () => { resolve({ ok: false, ms: performance.now() - t0 }); });
    req.end(body);
  });
}

/** Open loop at `rps` for `n` requests; returns latencies, error count and the wall time. */
async function drive(rps: number, n: number): Promise<{ latencies: number[]; errors: number; wallMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let inFlight = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  while (sent < n) {
    const due = Math.min(n, Math.floor(((performance.now() - start) / 1000) * rps) + 1);
    while (sent < due && inFlight < concurrency) {
      inFlight++;
      pending.push(post(sent++).then((r) => {
        inFlight--;
        if (r.ok) latencies.push(r.ms);
        else errors++;
      }));
    }
    await new Promise((ok) => setTimeout(ok, 1));
  }
  await Promise.all(pending);
  return { latencies, errors, wallMs: performance.now() - start };
}

interface Hostile { readonly kind: string; readonly status: number; readonly ms: number }

/** Runs the hostile client for `secs` seconds against the server; resolves with its results. */
function hostileMix(secs: number): Promise<Hostile[]> {
  const client = new URL('./hostile-client.mts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', client, String(port), join(dir, 'ca.crt'), String(secs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((ok) => child.on('exit', () => { ok(out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Hostile)); }));
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
function summary(mix: string, n: number, r: { latencies: number[]; errors: number; wallMs: number }): Record<string, unknown> {
  const latencies = [...r.latencies].sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    bench: 'webhook', mix, targetRps: rate, achievedRps: round(n / (r.wallMs / 1000)), requests: n, errors: r.errors,
    p50Ms: round(q(0.5)), p99Ms: round(q(0.99)), maxMs: round(latencies.at(-1) ?? Number.NaN),
  };
}

try {
  await drive(rate, warmup);
  const n = Math.round(rate * seconds);
  const plain = await drive(rate, n);
  const answers = [...outcomes].map(([k, v]) => `${k} ${v}`).join(', ');
  process.stderr.write(`webhook bench (${values['in-process'] ? 'in-process, fixture cluster' : 'child process, samples/scenario.yaml'}): ${payloadBytes} B AdmissionReviews to /mutate-deployment, ${concurrency} max in flight, ${warmup} warm-up requests; answers: ${answers}\n`);
  console.log(JSON.stringify(summary('none', n, plain)));
  if (values['in-process']) {
    process.stderr.write('webhook bench: no hostile mix in-process (the server would share the load generator\'s CPU)\n');
  } else {
    outcomes.clear();
    const [mixed, hostile] = await Promise.all([drive(rate, n), hostileMix(seconds)]);
    const byKind = new Map<string, { count: number; maxMs: number; statuses: Set<number> }>();
    for (const h of hostile) {
      const k = byKind.get(h.kind) ?? { count: 0, maxMs: 0, statuses: new Set<number>() };
      k.count++;
      k.maxMs = Math.max(k.maxMs, h.ms);
      k.statuses.add(h.status);
      byKind.set(h.kind, k);
    }
    console.log(JSON.stringify({
      ...summary('hostile 1/s', n, mixed),
      hostile: Object.fromEntries([...byKind].map(([k, v]) => [k, { count: v.count, maxMs: round(v.maxMs), status: [...v.statuses] }])),
    }));
  }
} finally {
  agent.destroy();
  await stop();
  await rm(dir, { recursive: true, force: true });
}
