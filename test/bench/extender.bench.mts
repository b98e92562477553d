// npm run bench:extender — the scheduler extender's two figures, one JSON line per result.
//
// 1. Fragmentation (pure simulation, test/support/extender-sequence.ts): 32 × 8-GPU and 32 × 4-GPU nodes of one
//    product, a seeded sequence of 3,000 arrivals (1, 2, 4, 8 GPUs) and departures — the same for both policies —
//    placed with inferno's real filter + prioritize, or with least-allocated spreading (the default scheduler's
//    scoring for these pods). Figure: 8-GPU pods that still fit, at the end and averaged over the sequence.
//    Then the same figure from the real kube-scheduler with and without the extender on the small version of the
//    sequence (runs that test of test/e2e/extender.test.ts, ~30 s) when the control-plane binaries are built
//    (`npm run cluster:build`); --e2e yes|no forces it on or off (default auto).
// 2. Latency of filter + prioritize for one pod, for 100, 1,000 and 5,000 nodes (mixed A100/H100 8-GPU and L4
//    4-GPU nodes, partly used; every node in the request, so filter also turns away the wrong products; each pod
//    is then bound as the informer would report it, so the inventory changes between requests as in a burst):
//    - mode "https": real HTTPS POSTs to /filter then /prioritize of `inferno serve --scenario` (a child process,
//      keep-alive), NodeNames;
//    - mode "in-process": the same two calls without the network (JSON parse, the pure functions, JSON encode);
//    - form "objects": full Node objects as kube-scheduler sends them with nodeCacheCapable: false (~10 KB each,
//      test/fixtures/extender/objects-filter.json), over HTTPS; 100 and 1,000 nodes unless --objects-sizes says
//      otherwise (at 5,000 a request is 50 MB: 10 samples).
//    load1 = the machine's 1-minute load average at the end of the line: the tail grows with other processes' CPU;
//    in-process lines also give cpuP50Ms/cpuP99Ms, the CPU time of the two calls (no waiting for a core).
//    cold = the first request of a run; p50/p99/max over the warm samples after a warm-up.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findBinDir } from '../e2e/cluster.js';
import { GpuInventory } from '../../src/cluster/inventory.js';
import type { NodeGpus } from '../../src/cluster/inventory.js';
import type { ClusterSnapshot, ClusterView } from '../../src/cluster/snapshot.js';
import { snapshotOf } from '../../src/cluster/snapshot.js';
import { ExtenderPath, Label } from '../../src/domain/keys.js';
import { AssumedPods } from '../../src/extender/assumed.js';
import { filterNodes } from '../../src/extender/filter.js';
import { prioritizeNodes } from '../../src/extender/prioritize.js';
import { filterResult, hostPriorityList, parseExtenderArgs } from '../../src/extender/protocol.js';
import { createCertificateAuthority, createServingCertificate, localSans } from '../../src/tls/forge.js';
import { writePki } from '../support/https.js';
import { catalog, classIndex, premium } from '../support/cluster.js';
import { packingSequence, prng, simulate } from '../support/extender-sequence.js';
import { spawnServe } from '../support/cli.js';

const { values } = parseArgs({ options: {
  e2e: { type: 'string', default: 'auto' },
  samples: { type: 'string', default: '300' },
  sizes: { type: 'string', default: '100,1000,5000' },
  /** full Node objects cost ~10 KB each per call: by default only up to 1,000 nodes */
  'objects-sizes': { type: 'string', default: '100,1000' },
} });
const out = (line: Record<string, unknown>): void => { process.stdout.write(`${JSON.stringify(line)}\n`); };

// --- 1. fragmentation ---------------------------------------------------------------------------------------
const sequence = { seed: 7, events: 3000, arrivalShare: 0.5 };
const pools = [{ prefix: 'a8', count: 32, gpus: 8 }, { prefix: 'a4', count: 32, gpus: 4 }];
const sim = simulate(pools, packingSequence(sequence));
const figure = (o: typeof sim.extender): Record<string, unknown> => ({ eightGpuPodsThatFit: o.eightGpuPodsThatFit, eightGpuPodsThatFitMean: o.eightGpuPodsThatFitMean, rejectedBySize: o.rejected });
out({ bench: 'extender-fragmentation', where: 'simulation', nodes: '32 × 8 + 32 × 4 GPUs', ...sequence, extender: figure(sim.extender), leastAllocated: figure(sim.leastAllocated) });

const haveBinaries = ((): boolean => {
  try {
    findBinDir();
    return true;
  } catch {
    return false;
  }
})();
if (!['auto', 'yes', 'no'].includes(values.e2e)) {
  process.stderr.write(`--e2e must be auto, yes or no; got "${values.e2e}"\n`);
  process.exit(2);
}
if (values.e2e === 'yes' || (values.e2e === 'auto' && haveBinaries)) {
  // Without NODE_TEST_CONTEXT: when this bench itself runs under node:test, the child would otherwise skip its files.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-name-pattern=fragmentation', 'test/e2e/extender.test.ts'], { encoding: 'utf8', timeout: 600_000, env });
  const line = r.stdout.split('\n').find((l) => l.trim().startsWith('{"bench":"extender-fragmentation"'));
  if (line === undefined || r.status !== 0) {
    process.stderr.write(`the e2e fragmentation run failed (exit ${String(r.status)}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${line.trim()}\n`);
  }
} else if (values.e2e === 'auto') {
  out({ bench: 'extender-fragmentation', where: 'e2e', skipped: 'no control-plane binaries (npm run cluster:build)' });
}

// --- 2. latency ---------------------------------------------------------------------------------------------
const samples = Number(values.samples);
const sizes = values.sizes.split(',').map(Number);
const gpu = 'nvidia.com/gpu';
const fixture = JSON.parse(readFileSync(new URL('../fixtures/extender/objects-filter.json', import.meta.url), 'utf8')) as { Pod: Record<string, unknown>; Nodes: { items: Record<string, unknown>[] } };
const products = [
  { device: 'NVIDIA-A100-SXM4-80GB', gpus: 8, share: 0.5 },
  { device: 'NVIDIA-H100-80GB-HBM3', gpus: 8, share: 0.25 },
  { device: 'NVIDIA-L4', gpus: 4, share: 0.25 },
];

interface Bench {
  readonly inv: GpuInventory;
  readonly view: ClusterView;
  readonly names: string[];
  /** full Node objects in the shape the scheduler sends (the fixture's node, renamed and relabelled) */
  readonly objects: Record<string, unknown>[];
}

function benchCluster(n: number): Bench {
  const rand = prng(n);
  const inv = new GpuInventory();
  const names: string[] = [];
  const objects: Record<string, unknown>[] = [];
  const template = fixture.Nodes.items[0] ?? {};
  for (let i = 0; i < n; i++) {
    const r = rand();
    let acc = 0;
    const p = products.find((x) => (acc += x.share) > r) ?? products[0];
    if (p === undefined) throw new Error('no product');
    const name = `node-${String(i).padStart(5, '0')}`;
    const node: NodeGpus = { name, labels: { 'nvidia.com/gpu.product': p.device, 'kubernetes.io/hostname': name }, unschedulable: false, allocatable: { [gpu]: p.gpus } };
    inv.upsertNode(node);
    names.push(name);
    const used = Math.floor(rand() * (p.gpus + 1));
    for (let k = 0; k < used; k++) inv.upsertPod({ key: `load/${name}-${k}`, uid: `${name}-${k}`, nodeName: name, nodeSelector: {}, requests: { [gpu]: 1 }, finished: false, managed: rand() < 0.5 });
    const obj = structuredClone(template) as { metadata: { name: string; labels: Record<string, string> }; status: { allocatable: Record<string, string>; capacity: Record<string, string> } };
    obj.metadata.name = name;
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/hostname': name, 'nvidia.com/gpu.product': p.device };
    obj.status.allocatable = { ...obj.status.allocatable, [gpu]: String(p.gpus) };
    obj.status.capacity = { ...obj.status.capacity, [gpu]: String(p.gpus) };
    objects.push(obj);
  }
  const config = { accelerators: catalog, classes: classIndex(premium), controller: { options: {} } };
  // As the informer-backed view does: a new snapshot only after the inventory changed.
  let cached: { version: number; snap: ClusterSnapshot } | undefined;
  const view: ClusterView = {
    snapshot: () => {
      if (cached?.version !== inv.version) cached = { version: inv.version, snap: snapshotOf(config, inv) };
      return cached.snap;
    },
    optimizer: () => undefined,
    optimizers: () => [],
    ready: () => true,
  };
  return { inv, view, names, objects };
}

function podJson(i: number, units: number): Record<string, unknown> {
  const pod = structuredClone(fixture.Pod) as { metadata: Record<string, unknown>; spec: { containers: { resources: Record<string, unknown> }[] } };
  pod.metadata['name'] = `granite-${i}`;
  pod.metadata['uid'] = `uid-bench-${i}`;
  pod.metadata['labels'] = { app: 'granite', [Label.accelerator]: 'A100' };
  const c = pod.spec.containers[0];
  if (c !== undefined) c.resources = { requests: { [gpu]: String(units) }, limits: { [gpu]: String(units) } };
  return pod;
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const ms = (v: number): number => Number(v.toFixed(3));
function summary(times: number[], cold: number): Record<string, number> {
  const s = [...times].sort((a, b) => a - b);
  return { samples: s.length, coldMs: ms(cold), p50Ms: ms(quantile(s, 0.5)), p99Ms: ms(quantile(s, 0.99)), maxMs: ms(s[s.length - 1] ?? Number.NaN) };
}

/** The informer reporting the pod bound where prioritize put it (so reservations end and usage grows). */
function bind(b: Bench, i: number, units: number, node: string | undefined): void {
  if (node !== undefined) b.inv.upsertPod({ key: `default/granite-${i}`, uid: `uid-bench-${i}`, nodeName: node, nodeSelector: {}, requests: { [gpu]: units }, finished: false, managed: true });
  // keep the cluster from filling up over the run: the pod of 50 iterations ago leaves
  if (i >= 50) b.inv.removePod(`default/granite-${i - 50}`);
}

function inProcess(b: Bench, count: number): Record<string, number> {
  const assumed = new AssumedPods();
  const times: number[] = [];
  const cpu: number[] = [];
  let cold = 0;
  for (let i = 0; i < count + 50; i++) {
    const units = 1 + (i % 3);
    // What the server does per call: JSON parse, the pure functions, JSON encode (not the client's encoding).
    const fBody = JSON.stringify({ Pod: podJson(i, units), Nodes: null, NodeNames: b.names });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const parsed = parseExtenderArgs(JSON.parse(fBody) as unknown);
    if (!parsed.ok) throw new Error(parsed.message);
    const snap = b.view.snapshot();
    assumed.prune((k) => snap.pod(k), i);
    const f = filterNodes(parsed.args, snap, assumed);
    if (f.type !== 'ok') throw new Error(f.message);
    if (f.reserve !== undefined) assumed.reserve(f.reserve, i, false);
    JSON.stringify(filterResult(parsed.args, f.outcome));
    const tFilter = performance.now() - t0;
    const cFilter = process.cpuUsage(c0);
    const pBody = JSON.stringify({ Pod: podJson(i, units), Nodes: null, NodeNames: f.outcome.kept });
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const p2 = parseExtenderArgs(JSON.parse(pBody) as unknown);
    if (!p2.ok) throw new Error(p2.message);
    const snap2 = b.view.snapshot();
    assumed.prune((k) => snap2.pod(k), i);
    const p = prioritizeNodes(p2.args, snap2, assumed);
    if (p.type !== 'ok') throw new Error(p.message);
    if (p.reserve !== undefined) assumed.reserve(p.reserve, i, false);
    JSON.stringify(hostPriorityList(p.scores));
    const elapsed = tFilter + (performance.now() - t1);
    const cPrio = process.cpuUsage(c1);
    if (i === 0) cold = elapsed;
    else if (i >= 50) {
      times.push(elapsed);
      cpu.push((cFilter.user + cFilter.system + cPrio.user + cPrio.system) / 1000);
    }
    bind(b, i, units, p.reserve?.node);
  }
  // CPU time is what the work costs; wall time adds the waits for a core on a shared machine.
  const c = [...cpu].sort((x, y) => x - y);
  return { ...summary(times, cold), cpuP50Ms: ms(quantile(c, 0.5)), cpuP99Ms: ms(quantile(c, 0.99)) };
}

/**
 * The real server: `inferno serve --scenario` as a child process (its CPU and GC are its own) over a scenario of the
 * bench cluster's nodes and deploy/base's ConfigMaps. A scenario holds no pods, so usage is what reservations add;
 * pods cycle through 50 UIDs, so each new answer moves one of at most 50 reservations (the informer's steady state).
 */
async function overHttps(b: Bench, count: number, form: 'names' | 'objects'): Promise<Record<string, number>> {
  const ca = createCertificateAuthority({ commonName: 'bench CA', days: 1 });
  const leaf = createServingCertificate(ca, { dnsNames: [...localSans.dnsNames], ipAddresses: [...localSans.ipAddresses], days: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'inferno-extender-bench-'));
  await writePki(dir, { ca, leaf });
  const scenario = join(dir, 'scenario.yaml');
  const nodeList = { apiVersion: 'v1', kind: 'NodeList', items: b.objects.map((o) => ({ apiVersion: 'v1', kind: 'Node', ...o })) };
  await writeFile(scenario, `${readFileSync(new URL('../../deploy/base/config.yaml', import.meta.url), 'utf8')}\n---\n${JSON.stringify(nodeList)}\n`);
  const { child, port, exited } = await spawnServe(['--scenario', scenario, '--host', '127.0.0.1', '--port', '0', '--cert-dir', dir, '--drain-seconds', '0']);
  const agent = new Agent({ keepAlive: true, ca: ca.certPem, maxSockets: 1 });
  const post = (path: string, body: string): Promise<string> => new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => { if (res.statusCode === 200) ok(Buffer.concat(chunks).toString('utf8')); else fail(new Error(`${path}: HTTP ${String(res.statusCode)} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)); });
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
  const byName = new Map(b.objects.map((o) => [(o['metadata'] as { name: string }).name, o]));
  const nodesPart = (names: readonly string[]): Record<string, unknown> => form === 'names'
    ? { Nodes: null, NodeNames: names }
    : { Nodes: { metadata: {}, items: names.map((n) => byName.get(n)) }, NodeNames: null };
  const times: number[] = [];
  let cold = 0;
  const warm = form === 'objects' && b.names.length > 1000 ? 3 : 50;
  try {
    for (let i = 0; i < count + warm; i++) {
      const units = 1 + (i % 3);
      // Round trips of the two calls, from sending the body to having read the answer (not the client's encoding).
      const fBody = JSON.stringify({ Pod: podJson(i % 50, units), ...nodesPart(b.names) });
      const t0 = performance.now();
      const fText = await post(ExtenderPath.filter, fBody);
      const tFilter = performance.now() - t0;
      const f = JSON.parse(fText) as { NodeNames: string[] | null; Nodes: { items: { metadata: { name: string } }[] } | null; Error: string };
      if (f.Error !== '') throw new Error(f.Error);
      const kept = f.NodeNames ?? (f.Nodes?.items ?? []).map((n) => n.metadata.name);
      const pBody = JSON.stringify({ Pod: podJson(i % 50, units), ...nodesPart(kept) });
      const t1 = performance.now();
      await post(ExtenderPath.prioritize, pBody);
      const elapsed = tFilter + (performance.now() - t1);
      if (i === 0) cold = elapsed;
      else if (i >= warm) times.push(elapsed);
    }
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  return summary(times, cold);
}

// The machine's load when each line was measured: other processes' CPU use shows in the tail.
const load = (): number => Number(loadavg()[0]?.toFixed(2));
const objectSizes = values['objects-sizes'].split(',').filter((x) => x !== '').map(Number);
for (const n of sizes) {
  out({ bench: 'extender-latency', mode: 'in-process', form: 'names', nodes: n, ...inProcess(benchCluster(n), samples), load1: load() });
  out({ bench: 'extender-latency', mode: 'https', form: 'names', nodes: n, ...await overHttps(benchCluster(n), samples, 'names'), load1: load() });
  if (!objectSizes.includes(n)) continue;
  const objectSamples = n > 1000 ? 10 : n > 100 ? 50 : samples;
  out({ bench: 'extender-latency', mode: 'https', form: 'objects', nodes: n, ...await overHttps(benchCluster(n), objectSamples, 'objects'), load1: load() });
}
