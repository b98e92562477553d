// npm run bench:scaler — one scaler tick (list, collect, solve, decide, actuate) for a fleet of N Optimizers against
// the real kube-apiserver of the e2e control plane and a real Prometheus, composed as `inferno serve` composes it
// (cluster-view informers, kubeScalerPorts, ScalerActuator, the Prometheus observer) under the inferno
// ServiceAccount, minus the Lease. One JSON line per size and tick:
// {bench:"scaler", optimizers, tick:"replace"|"cold"|"warm", collectMs, solveMs, actuateMs, totalMs, actions, ...}
// - replace: the first tick of a fresh Scaler on the fleet as created, all on A100: most Deployments move to the
//   type that suits them (a pod-template patch and an Event each) — the heaviest tick there is;
// - cold: the first tick of another fresh Scaler (a new leader: empty analyzer cache and windows) on the placed
//   fleet; warm: its third tick, same load (cache warm; writes are mostly the Optimizer statuses).
// - The fleet: N distinct models (own profiles on L4/A100/H100/MI300X, own SLOs in two classes), spread over 10
//   namespaces, each a managed Deployment placed on A100 ×1. The Deployments are paused, so the controller makes no
//   pods: the tick's API traffic is the scaler's own, not pod churn. The nodes (kwok) carry 512 GPUs each, so the
//   limited-capacity plan fits every model.
// - The series: an exporter renders vLLM's full exposition for the N servers (test/support/vllm-fleet.ts), 1–20
//   req/s each, scraped every second; ticks start after 30 s of data (rate window 20 s).
// Needs `npm run cluster:build` first. Options: --sizes 10,100,500 --fill 30, --no-keep-alive (client-node's new
// connection per request, as before src/kube/keep-alive.ts).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { prometheusObserver } from '../../src/cli/observer.js';
import { Label } from '../../src/domain/keys.js';
import { seededRandom } from '../../src/engine/random.js';
import { startClusterView } from '../../src/kube/cluster-view.js';
import { keepAlive } from '../../src/kube/keep-alive.js';
import { ScalerActuator } from '../../src/kube/scaler-actuator.js';
import { kubeScalerPorts } from '../../src/kube/scaler-ports.js';
import { BatchSizeEnv, MaxNumSeqsFlag } from '../../src/placement/pod-template.js';
import { createPrometheusClient } from '../../src/prometheus/client.js';
import type { TickResult } from '../../src/scaler/tick.js';
import { Scaler } from '../../src/scaler/tick.js';
import { DEFAULT_NODE_FIXTURE, REPO_ROOT, startCluster } from '../e2e/cluster.js';
import { startPrometheus } from '../support/prometheus.js';
import { serveFleet, vllmFleet } from '../support/vllm-fleet.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,100,500' }, fill: { type: 'string', default: '30' }, 'no-keep-alive': { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const fillS = Number(values.fill);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 2000) || !(fillS >= 21 && fillS <= 600)) {
  process.stderr.write('--sizes: whole numbers from 1 to 2000; --fill: 21 to 600 s (more than the 20 s rate window)\n');
  process.exit(2);
}
const log = (m: string): void => { process.stderr.write(`[bench:scaler] ${m}\n`); };
const r2 = (x: number): number => Math.round(x * 100) / 100;
const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
const NAMESPACES = 10;
async function until(what: string, ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}
const TOKENS = { in: 512, out: 128 };

// Profiles per accelerator (upstream sample-data shapes), scaled per model so no two models share an analyzer.
const BASE = {
  L4: { maxBatchSize: 16, alpha: 45, beta: 0.9, gamma: 360, delta: 0.028 },
  A100: { maxBatchSize: 32, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125 },
  H100: { maxBatchSize: 32, alpha: 12.25, beta: 0.24, gamma: 98, delta: 0.0075 },
  MI300X: { maxBatchSize: 64, alpha: 7.77, beta: 0.15, gamma: 62.16, delta: 0.0046875 },
} as const;

function fleetObjects(n: number, cm: string): { objects: object[]; classes: object; servers: { namespace: string; model: string; pod: string; rate: number; inTokens: number; outTokens: number }[] } {
  const r = seededRandom(7 * n);
  const objects: object[] = [];
  const entries: Record<'premium' | 'standard', string[]> = { premium: [], standard: [] };
  const servers: ReturnType<typeof fleetObjects>['servers'] = [];
  for (let i = 0; i < n; i++) {
    const name = `model-${i}`;
    const namespace = `bench-${n}-${i % NAMESPACES}`;
    const model = `bench/m${n}-${i}`;
    const cls = i % 3 === 0 ? 'premium' : 'standard';
    const f = 0.7 + 0.6 * r();
    const itl = Math.round((cls === 'premium' ? 40 : 80) * (0.9 + 0.3 * r()));
    entries[cls].push(`  - {model: ${model}, slo-itl: ${itl}, slo-ttft: ${cls === 'premium' ? 1000 : 2000}}`);
    const accelerators = Object.entries(BASE).map(([acc, p]) => {
      const g = f * (0.9 + 0.2 * r());
      return { acc, accCount: 1, maxBatchSize: p.maxBatchSize, atTokens: TOKENS.out, alpha: r2(p.alpha * g), beta: Math.round(p.beta * g * 1e4) / 1e4, gamma: r2(p.gamma * g), delta: Math.round(p.delta * g * 1e6) / 1e6 };
    });
    objects.push({
      apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name, namespace },
      spec: { modelID: model, sloClassRef: { name: cm, key: cls }, minReplicas: 1, maxReplicas: 16, modelProfile: { accelerators } },
    });
    objects.push({
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace, labels: { app: name, [Label.managed]: 'true' } },
      spec: {
        replicas: 1, paused: true, selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name, [Label.accelerator]: 'A100' } },
          spec: {
            nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
            containers: [{
              name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', command: ['vllm', 'serve'], args: [model, `${MaxNumSeqsFlag}=$(${BatchSizeEnv})`],
              env: [{ name: BatchSizeEnv, value: String(BASE.A100.maxBatchSize) }],
              resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1' } },
            }],
          },
        },
      },
    });
    servers.push({ namespace, model, pod: `${name}-0`, rate: 1 + 19 * r(), inTokens: TOKENS.in, outTokens: TOKENS.out });
  }
  const classes = {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, namespace: 'inferno-system', labels: { [Label.config]: 'service-classes' } },
    data: {
      premium: `name: B${n}Premium\npriority: 1\ndata:\n${entries.premium.join('\n')}\n`,
      standard: `name: B${n}Standard\npriority: 2\ndata:\n${entries.standard.join('\n')}\n`,
    },
  };
  return { objects, classes, servers };
}

const dir = await mkdtemp(path.join(tmpdir(), 'inferno-bench-scaler-'));
// The e2e node pools, each two nodes of 512 GPUs: room for every model of the largest fleet.
const fixture = parseYaml(await readFile(DEFAULT_NODE_FIXTURE, 'utf8')) as { pools: { count: number; devices: number }[] };
for (const p of fixture.pools) Object.assign(p, { count: 2, devices: 512 });
const nodeFixture = path.join(dir, 'nodes.yaml');
await writeFile(nodeFixture, stringifyYaml(fixture));
const cluster = await startCluster({ log, nodeFixture });
const stop = new AbortController();
try {
  const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
  await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml'), '-f', file('deploy', 'base', 'rbac.yaml'), '-f', file('deploy', 'base', 'config.yaml')]);
  await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
  await cluster.kubectl(['-n', 'inferno-system', 'patch', 'configmap', 'inferno-controller', '--type=merge', '-p', JSON.stringify({ data: { scalerMode: 'actuate', metricsWindow: '20s', metricsMaxAge: '30s' } })]);
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
  // as `inferno serve` does (src/cli/serve.ts); --no-keep-alive measures client-node's own agent per request
  if (!values['no-keep-alive']) keepAlive(kc);
  const view = await startClusterView(kc, { onError: (what, e) => { log(`watch ${what}: ${String(e).slice(0, 200)}`); } });
  const actuator = new ScalerActuator({ kubeConfig: kc, component: 'inferno-scaler', instance: 'bench' });
  let previous: string[] = [];

  for (const n of sizes) {
    const cm = `bench-classes-${n}`;
    const f = fleetObjects(n, cm);
    // only this fleet is managed now
    for (const ns of previous) await cluster.kubectl(['-n', ns, 'label', 'deployments', '--all', `${Label.managed}-`]);
    const namespaces = [...new Set(f.servers.map((s) => s.namespace))];
    previous = namespaces;
    log(`${n}: creating ${n} Optimizers and Deployments in ${namespaces.length} namespaces`);
    for (const ns of namespaces) await cluster.kubectl(['create', 'namespace', ns]);
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(f.classes) });
    for (let i = 0; i < f.objects.length; i += 200) await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: f.objects.slice(i, i + 200) }), timeoutMs: 180_000 });

    const exporter = await serveFleet(vllmFleet(f.servers, n + 1));
    const prom = await startPrometheus([{ address: exporter.address, labels: {} }]);
    const client = await createPrometheusClient({ url: prom.url, timeoutMs: 30_000 });
    try {
      await prom.waitForTargets(1, 60_000);
      // the informers must hold this fleet's Optimizers and classes before the first tick
      await until(`the cluster view to see ${n} Optimizers`, () => view.optimizers().filter((o) => o.metadata.namespace?.startsWith(`bench-${n}-`) === true).length === n && view.snapshot().config.classes.byRef.has(`${cm}/premium`));
      log(`${n}: filling Prometheus for ${fillS} s`);
      await sleep(fillS * 1000);

      const ports = kubeScalerPorts({ kubeConfig: kc, view, actuator, observe: prometheusObserver(client), signal: stop.signal });
      const tick = async (scaler: Scaler): Promise<{ r: TickResult; totalMs: number }> => {
        const t0 = performance.now();
        const r = await scaler.tick(Date.now());
        return { r, totalMs: performance.now() - t0 };
      };
      const report = (label: 'replace' | 'cold' | 'warm', { r, totalMs }: { r: TickResult; totalMs: number }): void => {
        const actions: Record<string, number> = {};
        const reasons: Record<string, number> = {};
        for (const row of r.rows) {
          actions[row.action] = (actions[row.action] ?? 0) + 1;
          reasons[row.reason] = (reasons[row.reason] ?? 0) + 1;
        }
        if (process.env['BENCH_SCALER_DEBUG'] === '1') for (const row of r.rows.filter((x) => x.action === 'switch')) log(`${label} ${row.namespace}/${row.deployment}: ${row.message}`);
        const failed = r.rows.filter((row) => row.actuated.startsWith('failed')).length;
        process.stdout.write(`${JSON.stringify({
          bench: 'scaler', optimizers: n, tick: label, keepAlive: !values['no-keep-alive'],
          collectMs: r2(r.phasesMs.collect), solveMs: r2(r.phasesMs.solve), actuateMs: r2(r.phasesMs.actuate), totalMs: r2(totalMs),
          deployments: r.rows.length, actions, reasons, failed, skipped: r.skipped.length,
          allocated: r.plan.allocations.length, unallocated: r.plan.unallocated.length,
          loadAvg1m: r2(loadavg()[0] ?? Number.NaN),
        })}\n`);
      };
      // replace: the fleet as created (all on A100), most Deployments moved to their best type in one tick
      report('replace', await tick(new Scaler(ports, () => performance.now())));
      await sleep(2000);
      // cold: a fresh Scaler (a new leader: empty caches and windows) on the placed fleet; warm: its third tick
      const scaler = new Scaler(ports, () => performance.now());
      report('cold', await tick(scaler));
      await sleep(2000);
      await tick(scaler);
      await sleep(2000);
      report('warm', await tick(scaler));
    } finally {
      client.close();
      await prom.stop();
      await exporter.close();
    }
  }
  view.stop();
} finally {
  stop.abort();
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
