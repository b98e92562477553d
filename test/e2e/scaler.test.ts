// The periodic scaler end to end: a real control plane (kube-apiserver, controller-manager, scheduler, kwok GPU
// nodes), a real Prometheus scraping emulated vLLM pods, the load generator, and two `inferno serve` processes
// under the inferno ServiceAccount (deploy/base/rbac.yaml) with the webhook registered as shipped. The harness plays
// kubelet for the emulators (support/pod-emulators.ts) and a Service in front of them (support/services.ts).
//
// The cluster is built so that the outcome of each step is known in advance:
// - one model, profiled on L4 (70 ¢/h, slow) and MI300X (250 ¢/h, ~4× an L4's rate); its SLO (ITL 200 ms, TTFT
//   2 s) and fixed token lengths make "what the load needs" a function of the request rate alone. Rates below are
//   multiples of what one replica meets the SLO at (the queueing model's rateStar, §7.1 of model-and-solver.md);
// - other teams' pods hold 13 of the 16 L4 GPUs, so the cheap L4 fits 3 replicas at most.
// Scenarios, in order (each asserts on the Deployment and Optimizer as the API server has them):
//   up (needs 3 L4) → down (needs 2, only after the stabilization window) → move (needs 4 L4, which do not fit:
//   1 MI300X, cheaper than 4 L4s) → the Lease holder is SIGKILLed, the other replica takes over and scales (MI300X
//   ×2) → Prometheus stops: replicas hold, MetricsAvailable=False; it comes back: the scaler catches up (×3).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { OptimizerResource } from '../../src/cluster/resources.js';
import { OptimizerSchema } from '../../src/cluster/resources.js';
import { Annotation, Label, OptimizerApi, ScalerLease, ScalerMetric } from '../../src/domain/keys.js';
import { keepAlive, keepAliveAgentOf } from '../../src/kube/keep-alive.js';
import { createAnalyzer } from '../../src/model/analyzer.js';
import { BatchSizeEnv, MaxNumSeqsFlag } from '../../src/placement/pod-template.js';
import type { TestPrometheus } from '../support/prometheus.js';
import { startPrometheus } from '../support/prometheus.js';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, serviceAccountKubeconfig, startCluster, waitFor } from './cluster.js';
import { LoadKnob } from './support/load-knob.js';
import { PodEmulators } from './support/pod-emulators.js';
import { ServeProcess } from './support/serve-process.js';
import { HttpService, TcpService } from './support/services.js';

const BIN = path.join(REPO_ROOT, 'bin', 'inferno.js');
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
const INFERNO_NS = 'inferno-system';
const NS = 'scaler-e2e';
const APP = 'chat-7b';
const MODEL = 'e2e/chat-7b';

// Short timings so the file takes minutes: the scaler ticks every 2 s, scales down after 20 s, reads rates over
// 10 s windows of 1 s scrapes; the Lease lasts 3 s.
const TICK_MS = 2_000;
const WINDOW_MS = 20_000;
const RATE_WINDOW_MS = 10_000;
const SCRAPE_MS = 1_000;
const LEASE_MS = 3_000;
/** for a loaded 2-core machine: API round trips, pod start-up, a slow tick */
const SLACK_MS = 3_000;
const TOKENS = { input: 16, output: 16 };
const SLO = { itl: 200, ttft: 2000 };

const L4 = { acc: 'L4', accCount: 1, maxBatchSize: 8, atTokens: 16, alpha: 150, beta: 12, gamma: 40, delta: 1 };
const MI300X = { acc: 'MI300X', accCount: 1, maxBatchSize: 32, atTokens: 16, alpha: 150, beta: 3.5, gamma: 30, delta: 0.3 };
const L4_PRODUCT = { key: 'nvidia.com/gpu.product', value: 'NVIDIA-L4' };
const MI_PRODUCT = { key: 'amd.com/gpu.product-name', value: 'AMD-Instinct-MI300X' };

/** req/s one replica serves within the SLO: the sizing rule the scaler applies (replicas = ⌈rate / this⌉). */
function ratePerReplica(p: typeof L4): number {
  const a = createAnalyzer('v2', { alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta, maxBatch: p.maxBatchSize, inTokens: TOKENS.input, outTokens: TOKENS.output });
  assert.ok(a.ok);
  const s = a.value.size({ ttft: SLO.ttft, itl: SLO.itl, tps: 0, ttw: 0 });
  assert.ok(s.ok);
  return s.value.rateStar;
}
const U_L4 = ratePerReplica(L4);
const U_MI = ratePerReplica(MI300X);
// Loads, req/s, each well inside its replica count (the measured rate is within a few % of the sent one).
const LOAD = {
  start: 0.5 * U_L4, // 1 × L4
  up: 2.45 * U_L4, // 3 × L4
  down: 1.45 * U_L4, // 2 × L4
  move: 3.5 * U_L4, // 4 × L4 (only 3 fit) or 1 × MI300X (cheaper than 4 L4s)
  takeover: 1.5 * U_MI, // 2 × MI300X
  outage: 2.5 * U_MI, // 3 × MI300X
};

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const note = (msg: string): void => { process.stderr.write(`[scaler e2e] ${msg}\n`); };

interface DeploymentSample {
  readonly at: number;
  readonly replicas: number;
  readonly accelerator: string;
  readonly generation: number;
}

interface StatusCondition { type: string; status: string; reason: string; message: string }
interface OptimizerStatus {
  replicas?: number;
  accelerator?: string;
  maxBatch?: number;
  lastUpdate?: string;
  load?: { arrivalRate: number };
  desired?: { accelerator: string; replicas: number; maxBatch: number };
  conditions?: StatusCondition[];
}

void describe('e2e: the periodic scaler in a real control plane, with Prometheus and emulated vLLM', { timeout: 900_000 }, () => {
  let cluster: Cluster;
  let dir = '';
  let admin: KubeConfig;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let prom: TestPrometheus | undefined;
  let promPort = 0;
  let targets: Parameters<TestPrometheus['setTargets']>[0] = [];
  let emulators: PodEmulators | undefined;
  const service = new HttpService();
  let webhook: TcpService | undefined;
  const serves: ServeProcess[] = [];
  let load: LoadKnob | undefined;
  const timeline: DeploymentSample[] = [];
  /** one entry per scaler tick (the status it wrote): when, what it observed, what it wanted */
  const ticks: { at: number; lastUpdate: string; rpm: number | undefined; desired: number | undefined; replicas: number | undefined; metrics: string; why: string }[] = [];
  /** the scaler's view of a step, for the log: each tick's observed rate and desired replicas since `from` */
  const tickLog = (from: number): string => ticks.filter((t) => t.at >= from).map((t) => `+${secs(t.at - from)} ${t.rpm === undefined ? '?' : (t.rpm / 60).toFixed(2)} req/s→${String(t.desired)} (${t.metrics}${t.why === '' ? '' : `: ${t.why}`})`).join(', ');
  let polling = true;
  /** API requests the watchers made through the admin kubeconfig */
  let requests = 0;
  let poller: Promise<void> = Promise.resolve();
  let optimizer: OptimizerResource;
  const startedAt = Date.now();

  const kubectl = (args: string[], input?: string): Promise<string> => cluster.kubectl(args, input !== undefined ? { input } : {});
  const applyObj = (obj: unknown): Promise<string> => kubectl(['apply', '-f', '-'], JSON.stringify(obj));
  const deployment = async (): Promise<Record<string, unknown> & { spec: { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { nodeSelector?: Record<string, string>; containers: { args?: string[]; env?: { name: string; value?: string }[]; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[] } } }; metadata: { generation: number; annotations?: Record<string, string> } }> =>
    JSON.parse(JSON.stringify(await apps.readNamespacedDeployment({ namespace: NS, name: APP }))) as never;
  const status = async (): Promise<OptimizerStatus> =>
    ((await custom.getNamespacedCustomObject({ group: OptimizerApi.group, version: OptimizerApi.version, plural: OptimizerApi.plural, namespace: NS, name: APP })) as { status?: OptimizerStatus }).status ?? {};
  const condition = (s: OptimizerStatus, type: string): StatusCondition | undefined => s.conditions?.find((c) => c.type === type);
  const replicasNow = (): number => timeline.at(-1)?.replicas ?? Number.NaN;
  const leaseHolder = async (): Promise<string> =>
    (await kubectl(['-n', INFERNO_NS, 'get', 'lease', ScalerLease.name, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
  /** First time after `from` at which the Deployment's replicas satisfied `ok`, from the poller's timeline. */
  const firstAt = (from: number, ok: (s: DeploymentSample) => boolean): DeploymentSample | undefined => timeline.find((s) => s.at >= from && ok(s));
  // (the timeline holds changes only: a state that already held at `from` has no sample after it, which fails the
  // callers' "it changed after the step" assertions, as it should)
  const waitReplicas = async (what: string, ok: (n: number) => boolean, timeoutMs: number): Promise<void> => {
    await waitFor(what, () => Promise.resolve(ok(replicasNow())), { timeoutMs, intervalMs: 100 });
  };
  /**
   * When the mean rate the generator sent over the trailing rate window first exceeded `threshold` after a step
   * from `from` to `to` at `at` (evenly spaced arrivals: the trailing mean moves linearly over one window).
   */
  const crossesAt = (at: number, from: number, to: number, threshold: number): number => at + RATE_WINDOW_MS * (threshold - from) / (to - from);
  /**
   * Up at once, from the scaler's own record: every tick since `from` whose observed rate needs more replicas than
   * the Deployment had left it with at least that many (rates within 3 % of a replica boundary are skipped: the
   * solver's bisection and rounding decide those). Returns how many ticks were checked.
   */
  const assertUpAtOnce = (from: number, perReplica: number): number => {
    let checked = 0;
    for (const t of ticks.filter((x) => x.at >= from && x.rpm !== undefined)) {
      const x = (t.rpm ?? 0) / 60 / perReplica;
      if (Math.abs(x - Math.round(x)) < 0.03) continue;
      assert.ok((t.replicas ?? 0) >= Math.min(Math.ceil(x), 6), `tick at ${t.lastUpdate} saw ${((t.rpm ?? 0) / 60).toFixed(2)} req/s (needs ${Math.ceil(x)}) and left ${String(t.replicas)}: ${tickLog(from)}`);
      checked++;
    }
    return checked;
  };

  before(async () => {
    assert.ok(U_MI > 3.6 * U_L4, `the MI300X profile must carry the "move" load on one replica (${U_MI} vs ${U_L4} req/s)`);
    note(`one replica within the SLO: L4 ${U_L4.toFixed(3)} req/s, MI300X ${U_MI.toFixed(3)} req/s`);
    cluster = await startCluster();
    // inside the cluster's workdir: its janitor removes it even when this runner is killed
    dir = await mkdtemp(path.join(cluster.workdir, 'scaler-'));
    admin = keepAlive(new KubeConfig());
    admin.loadFromFile(cluster.kubeconfig);
    apps = admin.makeApiClient(AppsV1Api);
    core = admin.makeApiClient(CoreV1Api);
    custom = admin.makeApiClient(CustomObjectsApi);

    // inferno as shipped: namespace, CRD, RBAC, configuration; the test's service class and short scaler timings.
    await kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml'), '-f', file('deploy', 'base', 'rbac.yaml'), '-f', file('deploy', 'base', 'config.yaml')]);
    await kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await applyObj({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'e2e-service-classes', namespace: INFERNO_NS, labels: { [Label.config]: 'service-classes' } },
      data: { interactive: `name: Interactive\npriority: 1\ndata:\n  - {model: ${MODEL}, slo-itl: ${SLO.itl}, slo-ttft: ${SLO.ttft}}\n` },
    });
    await kubectl(['-n', INFERNO_NS, 'patch', 'configmap', 'inferno-controller', '--type=merge', '-p', JSON.stringify({
      data: { scalerInterval: `${TICK_MS / 1000}s`, scaleDownStabilization: `${WINDOW_MS / 1000}s`, scalerMode: 'actuate', metricsWindow: `${RATE_WINDOW_MS / 1000}s`, metricsMaxAge: '10s' },
    })]);
    await kubectl(['create', 'namespace', NS]);

    // Other teams' pods (not managed by inferno) hold 13 of the 16 L4 GPUs: 3 whole nodes and one GPU of the 4th.
    const blocker = (name: string, replicas: number, gpus: number): object => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
      spec: {
        replicas, selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { nodeSelector: { [L4_PRODUCT.key]: L4_PRODUCT.value }, containers: [{ name: 'work', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': String(gpus) } } }] } },
      },
    });
    await applyObj(blocker('other-team-big', 3, 4));
    await waitFor('the big blockers to run', async () => (await apps.readNamespacedDeployment({ namespace: NS, name: 'other-team-big' })).status?.readyReplicas === 3, { timeoutMs: 120_000, intervalMs: 300 });
    await applyObj(blocker('other-team-small', 1, 1));
    await waitFor('the small blocker to run', async () => (await apps.readNamespacedDeployment({ namespace: NS, name: 'other-team-small' })).status?.readyReplicas === 1, { timeoutMs: 120_000, intervalMs: 300 });

    // Prometheus (targets come from the emulator harness).
    prom = await startPrometheus([], { scrapeIntervalS: SCRAPE_MS / 1000, parentDir: cluster.workdir });
    promPort = prom.port;

    // The inferno ServiceAccount's kubeconfig: both serve processes run with exactly the shipped RBAC.
    const { file: saKubeconfig } = await serviceAccountKubeconfig(cluster, { namespace: INFERNO_NS, name: 'inferno' }, path.join(dir, 'inferno-sa.kubeconfig'));
    const certDir = path.join(dir, 'certs');
    await promisify(execFile)(process.execPath, [BIN, 'certs', '--out', certDir]);

    // deploy/base/webhooks.yaml pointed at a local "Service" in front of both replicas.
    const [portA, portB] = await freePorts(2);
    assert.ok(portA !== undefined && portB !== undefined);
    webhook = new TcpService([portA, portB]);
    const webhookPort = await webhook.listen();
    const configs = parseAllDocuments(readFileSync(file('deploy', 'base', 'webhooks.yaml'), 'utf8')).map((d) => d.toJS() as { webhooks: { clientConfig: Record<string, unknown> }[] });
    for (const c of configs) for (const w of c.webhooks) w.clientConfig = { url: `https://127.0.0.1:${webhookPort}${(w.clientConfig['service'] as { path: string }).path}` };
    await applyObj({ apiVersion: 'v1', kind: 'List', items: configs });

    const serveArgs = (port: number): string[] => [
      '--kubeconfig', saKubeconfig, '--host', '127.0.0.1', '--port', String(port), '--cert-dir', certDir, '--inject-ca-bundle',
      '--namespace', INFERNO_NS, '--prometheus', prom?.url ?? '', '--lease-duration-seconds', String(LEASE_MS / 1000), '--drain-seconds', '0',
    ];
    serves.push(new ServeProcess('a', portA, serveArgs(portA), path.join(dir, 'serve-a.log')), new ServeProcess('b', portB, serveArgs(portB), path.join(dir, 'serve-b.log')));
    const ca = readFileSync(path.join(certDir, 'ca.crt'));
    for (const s of serves) {
      await waitFor(`inferno serve ${s.name} to be ready`, async () => (await httpGet(`https://127.0.0.1:${s.port}/readyz`, { ca })).status === 200, { timeoutMs: 90_000, intervalMs: 300 });
    }
    await waitFor('the validating webhook to be active', async () => {
      try {
        await kubectl(['apply', '--dry-run=server', '-f', '-'], JSON.stringify({ apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'probe', namespace: NS }, spec: { modelID: MODEL, serviceClass: 'Interactive', modelProfile: { accelerators: [{ ...L4, acc: 'B200' }] } } }));
        return false;
      } catch (e) {
        if (/denied the request/.test(String(e))) return true;
        throw e;
      }
    }, { timeoutMs: 60_000, intervalMs: 500 });

    optimizer = OptimizerSchema.parse({
      apiVersion: OptimizerApi.apiVersion, kind: OptimizerApi.kind, metadata: { name: APP, namespace: NS },
      spec: { modelID: MODEL, sloClassRef: { name: 'e2e-service-classes', key: 'interactive' }, minReplicas: 1, maxReplicas: 6, modelProfile: { accelerators: [L4, MI300X] } },
    });
    await applyObj(optimizer);

    // kubelet for the emulators, and the Service in front of them
    await service.listen();
    emulators = new PodEmulators({
      kubeConfig: admin, namespace: NS, apps: new Map([[APP, optimizer]]),
      onTargets: async (t) => {
        targets = t;
        await prom?.setTargets(t).catch(() => undefined);
      },
      onEndpoints: (_app, urls) => { service.setBackends(urls); },
      log: note,
    });
    emulators.start();

    // The user's Deployment: plain vLLM, opted in; the webhook places it (the cheapest fit for the expected load).
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: {
        name: APP, namespace: NS, labels: { app: APP, [Label.managed]: 'true' },
        annotations: { [Annotation.expectedRpm]: String(Math.round(LOAD.start * 60)), [Annotation.avgInputTokens]: String(TOKENS.input), [Annotation.avgOutputTokens]: String(TOKENS.output) },
      },
      spec: {
        replicas: 1, selector: { matchLabels: { app: APP } },
        template: { metadata: { labels: { app: APP } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', command: ['vllm', 'serve'], args: [MODEL, '--port', '8000', MaxNumSeqsFlag, '256'] }] } },
      },
    };
    await waitFor('the webhook to know the Optimizer', async () => {
      const dry = JSON.parse(await kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(manifest))) as { spec: { template: { metadata: { labels?: Record<string, string> } } } };
      return dry.spec.template.metadata.labels?.[Label.accelerator] !== undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    await applyObj(manifest);

    // Watch the Deployment (timings are read from this timeline) and the Optimizer status (one per tick).
    const sampleDeployment = async (): Promise<void> => {
      requests++;
      const d = await apps.readNamespacedDeployment({ namespace: NS, name: APP });
      const sample = { at: Date.now(), replicas: d.spec?.replicas ?? Number.NaN, accelerator: d.spec?.template.metadata?.labels?.[Label.accelerator] ?? '', generation: d.metadata?.generation ?? 0 };
      const last = timeline.at(-1);
      if (last === undefined || last.replicas !== sample.replicas || last.accelerator !== sample.accelerator || last.generation !== sample.generation) timeline.push(sample);
    };
    const sampleStatus = async (): Promise<void> => {
      requests++;
      const st = await status();
      if (st.lastUpdate === undefined || st.lastUpdate === ticks.at(-1)?.lastUpdate) return;
      const m = condition(st, 'MetricsAvailable');
      ticks.push({ at: Date.now(), lastUpdate: st.lastUpdate, rpm: st.load?.arrivalRate, desired: st.desired?.replicas, replicas: st.replicas, metrics: m?.reason ?? '', why: m?.status === 'True' ? '' : (m?.message ?? '').slice(0, 120) });
    };
    const poll = async (): Promise<void> => {
      for (let i = 0; polling && i < 100_000; i++) {
        // transient errors: keep polling
        await sampleDeployment().catch(() => undefined);
        if (i % 3 === 0) await sampleStatus().catch(() => undefined);
        await sleep(100);
      }
    };
    poller = poll();

    await waitFor('an emulator for the first pod', () => Promise.resolve((emulators?.running().length ?? 0) === 1 && service.backends() === 1), { timeoutMs: 60_000, intervalMs: 200 });
    load = new LoadKnob(LOAD.start, TOKENS);
    load.start(service.url);
    await prom.waitForTargets(1, 30_000);
    note(`set up in ${secs(Date.now() - startedAt)}`);
  });

  after(async () => {
    polling = false;
    const result = await load?.stop();
    if (result !== undefined) note(`load generator: ${result.samples.count} requests`);
    await poller;
    await emulators?.stop();
    await service.close();
    await Promise.all(serves.map((s) => s.stop()));
    await webhook?.close();
    await prom?.stop();
    // INFERNO_E2E_KEEP=1 keeps the cluster's workdir, and in it the serve logs (scaler-*/serve-a.log, serve-b.log)
    if (process.env['INFERNO_E2E_KEEP'] === '1') note(`kept ${dir}`);
    else if (dir !== '') await rm(dir, { recursive: true, force: true });
    await cluster.stop();
    note(`whole file: ${secs(Date.now() - startedAt)}`);
  });

  void it('places the Deployment on the cheap L4 at admission; with metrics flowing the scaler holds 1 replica for the light load', async () => {
    const d = await deployment();
    assert.equal(d.spec.template.metadata.labels[Label.accelerator], 'L4');
    assert.deepEqual(d.spec.template.spec.nodeSelector, { [L4_PRODUCT.key]: L4_PRODUCT.value });
    await waitFor('MetricsAvailable=True', async () => condition(await status(), 'MetricsAvailable')?.status === 'True', { timeoutMs: RATE_WINDOW_MS + 30_000, intervalMs: 300 });
    const since = Date.now();
    await sleep(3 * TICK_MS);
    const s = await status();
    assert.equal(replicasNow(), 1, JSON.stringify(s));
    assert.ok(timeline.every((x) => x.at < since || x.replicas === 1), JSON.stringify(timeline));
    // a 10 s window holds ~5 of these requests: allow two requests' worth of quantization either way
    const tolerance = Math.max(0.2 * LOAD.start, 2 / (RATE_WINDOW_MS / 1000)) * 60;
    assert.ok(s.load !== undefined && Math.abs(s.load.arrivalRate - LOAD.start * 60) <= tolerance, `observed ${JSON.stringify(s.load)} vs sent ${LOAD.start * 60} rpm`);
    assert.equal(condition(s, 'OptimizationReady')?.status, 'True', JSON.stringify(s.conditions));
    assert.deepEqual(s.desired, { ...s.desired, accelerator: 'L4', replicas: 1 });
    // src/kube/keep-alive.ts: hundreds of API calls over a handful of connections (client-node alone opens one each)
    const agent = keepAliveAgentOf(admin);
    assert.ok(agent !== undefined && requests > 100 && agent.connections <= 10, `${String(agent?.connections)} connections for ${requests}+ requests`);
  });

  void it('raise the load: replicas go up within two ticks of the metrics showing it', async () => {
    const at = load?.set(LOAD.up) ?? 0;
    await waitReplicas('3 replicas', (n) => n >= 3, RATE_WINDOW_MS + 4 * TICK_MS + 30_000);
    const first = firstAt(at, (s) => s.replicas > 1);
    const three = firstAt(at, (s) => s.replicas >= 3);
    assert.ok(first !== undefined && three !== undefined);
    // the trailing-window rate needs a 2nd replica from here, a 3rd from there; Prometheus sees it a scrape later
    const need2 = crossesAt(at, LOAD.start, LOAD.up, U_L4) + SCRAPE_MS;
    const need3 = crossesAt(at, LOAD.start, LOAD.up, 2 * U_L4) + SCRAPE_MS;
    note(`scale-up ticks: ${tickLog(at)}`);
    note(`scale-up: first replica added ${secs(first.at - at)} after the step (needed from ${secs(need2 - at)}), 3 replicas after ${secs(three.at - at)} (needed from ${secs(need3 - at)})`);
    assert.ok(first.at - need2 <= 2 * TICK_MS + SLACK_MS, `a 2nd replica ${secs(first.at - need2)} after the load needed it`);
    assert.ok(three.at - need3 <= 2 * TICK_MS + SLACK_MS, `the 3rd replica ${secs(three.at - need3)} after the load needed it`);
    await sleep(3 * TICK_MS);
    assert.ok(assertUpAtOnce(at, U_L4) >= 3, tickLog(at));
    assert.equal(replicasNow(), 3, 'exactly what the load needs, no more');
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${APP}` });
    assert.ok(pods.items.every((p) => cluster.nodes.find((n) => n.name === p.spec?.nodeName)?.labels[L4_PRODUCT.key] === L4_PRODUCT.value), 'on L4 nodes');
    await waitFor('3 emulated pods behind the Service', () => Promise.resolve(service.backends() === 3), { timeoutMs: 30_000, intervalMs: 200 });
  });

  void it('drop it: replicas come down only after the stabilization window, to what the load still needs', async () => {
    const at = load?.set(LOAD.down) ?? 0;
    await waitReplicas('fewer than 3 replicas', (n) => n < 3, RATE_WINDOW_MS + WINDOW_MS + 4 * TICK_MS + 30_000);
    const down = firstAt(at, (s) => s.replicas < 3);
    assert.ok(down !== undefined);
    const low = crossesAt(at, LOAD.up, LOAD.down, 2 * U_L4);
    note(`scale-down ticks: ${tickLog(at)}`);
    note(`scale-down: ${secs(down.at - at)} after the drop (2 replicas suffice from ${secs(low - at)}; window ${secs(WINDOW_MS)})`);
    assert.ok(down.at - at >= WINDOW_MS, `scaled down ${secs(down.at - at)} after the drop, before the ${secs(WINDOW_MS)} window`);
    assert.ok(down.at - low <= WINDOW_MS + 2 * TICK_MS + SLACK_MS, `scaled down ${secs(down.at - low)} after the lower need began`);
    assert.equal(down.replicas, 2, 'to what the load needs, not to minReplicas');
    await sleep(3 * TICK_MS);
    assert.equal(replicasNow(), 2);
    const s = await status();
    assert.equal(s.desired?.replicas, 2, JSON.stringify(s));
  });

  void it('a load that outgrows the free L4s moves the Deployment to MI300X: nodeSelector, GPUs and batch size together', async () => {
    const before = await deployment();
    const at = load?.set(LOAD.move) ?? 0;
    await waitFor('the move to MI300X', () => Promise.resolve(timeline.at(-1)?.accelerator === 'MI300X'), { timeoutMs: RATE_WINDOW_MS + 4 * TICK_MS + 40_000, intervalMs: 100 });
    const moved = firstAt(at, (s) => s.accelerator === 'MI300X');
    assert.ok(moved !== undefined);
    const need4 = crossesAt(at, LOAD.down, LOAD.move, 3 * U_L4) + SCRAPE_MS;
    note(`move ticks: ${tickLog(at)}`);
    note(`move: ${secs(moved.at - at)} after the step (4 L4s needed from ${secs(need4 - at)})`);
    assert.ok(moved.at - need4 <= 2 * TICK_MS + SLACK_MS, `moved ${secs(moved.at - need4)} after the load outgrew the L4s`);
    assert.ok(timeline.every((x) => x.at < at || x.replicas <= 3), `never more L4 replicas than L4s free: ${JSON.stringify(timeline.filter((x) => x.at >= at))}`);

    const d = await deployment();
    const c = d.spec.template.spec.containers[0];
    assert.ok(c !== undefined);
    assert.deepEqual(d.spec.template.spec.nodeSelector, { [MI_PRODUCT.key]: MI_PRODUCT.value }, 'the L4 selector is gone');
    assert.deepEqual([c.resources?.limits, c.resources?.requests], [{ 'amd.com/gpu': '1' }, { 'amd.com/gpu': '1' }]);
    assert.deepEqual(c.env?.find((e) => e.name === BatchSizeEnv), { name: BatchSizeEnv, value: String(MI300X.maxBatchSize) });
    assert.deepEqual(c.args?.filter((a) => a.startsWith(MaxNumSeqsFlag)), [`${MaxNumSeqsFlag}=$(${BatchSizeEnv})`]);
    // template and replicas in one write: the generation before the move is one less
    const prior = timeline[timeline.indexOf(moved) - 1];
    assert.ok(prior !== undefined && prior.accelerator === 'L4');
    assert.equal(moved.generation, prior.generation + 1, `generations around the move: ${JSON.stringify(timeline.filter((x) => x.at >= at))}`);
    // The move keeps the replica count while the new pods start (a Deployment cuts its old pods to the new count at
    // once, which would leave a few old pods with the whole load); one MI300X carries the load, so the count comes
    // down to 1 through the usual stabilization window.
    const kept = prior.replicas;
    assert.ok(moved.replicas === kept || moved.replicas === 1, `replicas at the move: ${JSON.stringify(moved)}`);
    assert.ok(timeline.every((x) => x.accelerator !== 'MI300X' || x.replicas <= kept), JSON.stringify(timeline.filter((x) => x.at >= at)));
    assert.ok(d.metadata.generation >= before.metadata.generation + 1);
    const decision = JSON.parse(d.metadata.annotations?.[Annotation.decision] ?? '{}') as { accelerator?: string; maxBatch?: number };
    assert.deepEqual([decision.accelerator, decision.maxBatch], ['MI300X', MI300X.maxBatchSize]);

    // the rollout: pods on MI300X nodes only, each emulated with the MI300X profile and the new --max-num-seqs
    await waitFor('the rollout to finish', async () => {
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${APP}` });
      return pods.items.length === 1 && pods.items.every((p) => p.status?.phase === 'Running') && emulators?.running().length === 1 && emulators.running()[0]?.accelerator === 'MI300X';
    }, { timeoutMs: 60_000 + WINDOW_MS, intervalMs: 300 });
    assert.equal((await deployment()).spec.replicas, 1, 'one MI300X carries the load');
    const e = emulators?.running()[0];
    assert.ok(e !== undefined);
    assert.equal(e.maxNumSeqs, MI300X.maxBatchSize);
    assert.equal(cluster.nodes.find((n) => n.name === e.node)?.labels[MI_PRODUCT.key], MI_PRODUCT.value, `pod on ${e.node}`);
    const rs = JSON.parse(await kubectl(['-n', NS, 'get', 'replicasets', '-l', `app=${APP}`, '-o', 'json'])) as { items: { spec: { replicas: number; template: { metadata: { labels: Record<string, string> } } } }[] };
    assert.deepEqual(rs.items.map((r) => r.spec.template.metadata.labels[Label.accelerator]).sort(), ['L4', 'MI300X'], 'one rollout: no intermediate template');
    const events = await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${APP},involvedObject.kind=Deployment` });
    assert.ok(events.items.some((x) => x.reason === 'AcceleratorChange' && x.type === 'Normal'), events.items.map((x) => `${x.type ?? ''} ${x.reason ?? ''}: ${x.message ?? ''}`).join('\n'));
    await waitFor('the status to show MI300X', async () => (await status()).accelerator === 'MI300X', { timeoutMs: 4 * TICK_MS + SLACK_MS, intervalMs: 200 });

    // Every pod was replaced. The old pods went away before the new one's first scrape (kwok makes pods Ready at
    // once): for that moment no series of the model is fresh, so the collector reports no data, and again a rate
    // window later, when the window's start falls into that gap; in between it under-reads (requests in flight on
    // the old pods were lost). The scaler holds through it; then it reads the load again, and the Deployment has
    // stayed on one MI300X throughout (at most one move per window).
    const settled = Date.now();
    const readsAgain = (): boolean => ticks.some((t) => t.at > settled + RATE_WINDOW_MS && t.rpm !== undefined && Math.abs(t.rpm / 60 - LOAD.move) <= 0.15 * LOAD.move);
    await waitFor('the collector to read the load again', () => Promise.resolve(readsAgain()), { timeoutMs: 2 * RATE_WINDOW_MS + 4 * TICK_MS + SLACK_MS, intervalMs: 200 });
    note(`after the move: ${tickLog(settled)}`);
    assert.deepEqual([timeline.at(-1)?.accelerator, replicasNow()], ['MI300X', 1]);
    assert.ok(timeline.every((x) => x.at < moved.at || (x.accelerator === 'MI300X' && x.replicas <= kept)), JSON.stringify(timeline.filter((x) => x.at >= moved.at)));
  });

  void it('two replicas: only the Lease holder acts; SIGKILL it and the other takes over within the lease duration and scales', async () => {
    const holder = await leaseHolder();
    const acting = serves.find((s) => s.leaderIdentity() === holder);
    const other = serves.find((s) => s !== acting);
    assert.ok(acting !== undefined && other !== undefined, `holder ${holder}; ${serves.map((s) => `${s.name}: ${s.leaderIdentity() ?? '-'}`).join(', ')}`);
    assert.ok(acting.logged('scaler tick').length > 10, acting.tail());
    assert.deepEqual(other.logged('scaler tick'), [], 'the other replica never ticked');
    assert.equal(other.leaderIdentity(), undefined);

    const killedAt = Date.now();
    acting.crash();
    await acting.exited;
    await waitFor('the other replica to take the Lease', async () => other.leaderIdentity() !== undefined && (await leaseHolder()) === other.leaderIdentity(), { timeoutMs: 30_000, intervalMs: 50 });
    const took = other.logged('scaler started')[0]?.seen ?? Number.NaN;
    note(`takeover ${secs(took - killedAt)} after SIGKILL (lease ${secs(LEASE_MS)})`);
    // the lease runs out at most its duration after the last renewal, seen up to 1.2 retry periods late
    assert.ok(took - killedAt <= LEASE_MS + 1.2 * (LEASE_MS * 2 / 15) + 1_000, `took over after ${secs(took - killedAt)}`);

    const at = load?.set(LOAD.takeover) ?? 0;
    await waitReplicas('2 MI300X replicas', (n) => n >= 2, RATE_WINDOW_MS + 4 * TICK_MS + 30_000);
    const two = firstAt(at, (s) => s.replicas >= 2);
    assert.ok(two !== undefined);
    const need2 = crossesAt(at, LOAD.move, LOAD.takeover, U_MI) + SCRAPE_MS;
    note(`takeover ticks: ${tickLog(killedAt)}`);
    note(`new leader scaled up ${secs(two.at - at)} after the step (needed from ${secs(need2 - at)})`);
    assert.ok(two.at - need2 <= 2 * TICK_MS + SLACK_MS);
    await sleep(2 * TICK_MS);
    assert.equal(replicasNow(), 2);
    assert.ok(assertUpAtOnce(at, U_MI) >= 2, tickLog(at));
    assert.ok(other.logged('scaler tick').some((l) => Number(l['changed']) >= 1), other.tail());
    note(`after the takeover: ${tickLog(two.at)}`);
    const metrics = await httpGet(`https://127.0.0.1:${other.port}/metrics`, { ca: readFileSync(path.join(dir, 'certs', 'ca.crt')) });
    assert.match(metrics.body, new RegExp(`${ScalerMetric.desiredReplicas}\\{[^}]*variant_name="${APP}"[^}]*\\} 2`));
  });

  void it('stop Prometheus: replicas hold with MetricsAvailable=False and the reason; when it is back the scaler catches up', async () => {
    await waitFor('metrics before the outage', async () => condition(await status(), 'MetricsAvailable')?.status === 'True', { timeoutMs: RATE_WINDOW_MS + 4 * TICK_MS, intervalMs: 200 });
    const stoppedAt = Date.now();
    await prom?.stop();
    prom = undefined;
    await waitFor('MetricsAvailable=False', async () => condition(await status(), 'MetricsAvailable')?.status === 'False', { timeoutMs: 4 * TICK_MS + 15_000, intervalMs: 200 });
    const s = await status();
    const c = condition(s, 'MetricsAvailable');
    note(`MetricsAvailable=False ${secs(Date.now() - stoppedAt)} after Prometheus stopped: ${c?.reason ?? ''}: ${c?.message ?? ''}`);
    assert.equal(c?.reason, 'PrometheusError');
    assert.match(c.message, /ECONNREFUSED|fetch failed|connect/i);
    assert.equal(condition(s, 'OptimizationReady')?.reason, 'MetricsUnavailable');
    assert.equal(s.load, undefined, 'no load shown while it is unknown');

    // a load that would need a 3rd replica: without metrics the scaler must not act on it, nor on anything else
    const at = load?.set(LOAD.outage) ?? 0;
    await sleep(RATE_WINDOW_MS + 4 * TICK_MS);
    assert.equal(replicasNow(), 2);
    assert.ok(timeline.every((x) => x.at < stoppedAt || x.replicas === 2), JSON.stringify(timeline.filter((x) => x.at >= stoppedAt)));
    const held = await status();
    assert.equal(condition(held, 'MetricsAvailable')?.status, 'False');
    assert.ok(Date.parse(held.lastUpdate ?? '') >= at, 'the scaler kept ticking (and writing why it holds)');

    prom = await startPrometheus(targets, { scrapeIntervalS: SCRAPE_MS / 1000, port: promPort, parentDir: cluster.workdir });
    const backAt = Date.now();
    await waitFor('MetricsAvailable=True again', async () => condition(await status(), 'MetricsAvailable')?.status === 'True', { timeoutMs: RATE_WINDOW_MS + 30_000, intervalMs: 200 });
    await waitReplicas('3 MI300X replicas', (n) => n >= 3, 4 * TICK_MS + 30_000);
    note(`Prometheus back: metrics ${secs(Date.now() - backAt)} later; 3 replicas; ticks: ${tickLog(stoppedAt)}`);
    await sleep(2 * TICK_MS);
    assert.equal(replicasNow(), 3);
  });
});
