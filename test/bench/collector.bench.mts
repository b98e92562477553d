// npm run bench:collector — the time for one collection (every quantity of every model server, one query per
// quantity) against a real Prometheus holding the series of that many servers. One JSON line per size:
// {bench:"collector", servers, series, queries, window, coldMs, warmMedianMs, warmP90Ms, runs, observed, errors,
// loadAvg1m}; with --per-query also each query's median time alone.
//
// The series are emulated: one exporter renders vLLM's full exposition (every metric the emulator has, histograms
// with their buckets) for N model servers, each in its own namespace-and-model pair with one pod, and advances
// their counters on every scrape like a server taking ~1–20 req/s. Prometheus scrapes it every second and holds
// 30 s of data before measuring; the rate window is 20 s (20 samples per series: more work per query than a
// production 1 m window over 15 s scrapes). "cold" is the first collection, "warm" the median of the next ones.
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { collect, lookbackStep } from '../../src/collector/collect.js';
import { isKnown } from '../../src/collector/interpret.js';
import { QueryNames, buildQueries } from '../../src/collector/promql.js';
import { VllmMetric } from '../../src/domain/keys.js';
import { seededRandom } from '../../src/engine/random.js';
import { oneTwoFiveBuckets } from '../../src/emulator/metrics.js';
import { createPrometheusClient } from '../../src/prometheus/client.js';
import { startPrometheus } from '../support/prometheus.js';

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '10,100,500' }, runs: { type: 'string', default: '10' }, fill: { type: 'string', default: '30' },
  // also time each query alone (sequentially, median of `runs`): which quantity costs what
  'per-query': { type: 'boolean', default: false },
} });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const fillS = Number(values.fill);
const windowS = 20;

const L = VllmMetric.label;
const ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const itlBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const latencyBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
const tokenBuckets = oneTwoFiveBuckets(131_072);

interface Hist { readonly buckets: readonly number[]; readonly counts: number[]; sum: number; count: number }
const hist = (buckets: readonly number[]): Hist => ({ buckets, counts: buckets.map(() => 0), sum: 0, count: 0 });
const observe = (h: Hist, v: number, n: number): void => {
  h.buckets.forEach((b, i) => { if (v <= b) h.counts[i] = (h.counts[i] ?? 0) + n; });
  h.sum += v * n;
  h.count += n;
};

interface Server {
  readonly labels: string;
  readonly rate: number;
  success: number;
  prompt: number;
  generation: number;
  running: number;
  waiting: number;
  readonly hists: Record<string, Hist>;
}

function fleet(n: number): { render(): string; series: number } {
  const r = seededRandom(n);
  const servers: Server[] = Array.from({ length: n }, (_, i) => ({
    labels: `${L.model}="org/model-${i}.v1",${L.engine}="0",${L.namespace}="team-${i % 37}",${L.pod}="model-${i}-0"`,
    rate: 1 + r() * 19, success: 0, prompt: 0, generation: 0, running: 0, waiting: 0,
    hists: {
      [VllmMetric.timeToFirstToken]: hist(ttftBuckets), [VllmMetric.interTokenLatency]: hist(itlBuckets), [VllmMetric.timePerOutputToken]: hist(itlBuckets),
      [VllmMetric.e2eLatency]: hist(latencyBuckets), [VllmMetric.queueTime]: hist(latencyBuckets),
      [VllmMetric.requestPromptTokens]: hist(tokenBuckets), [VllmMetric.requestGenerationTokens]: hist(tokenBuckets),
    },
  }));
  let last = performance.now();
  const advance = (): void => {
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    for (const s of servers) {
      const done = Math.round(s.rate * dt * (0.8 + 0.4 * r()));
      s.success += done;
      s.prompt += done * 512;
      s.generation += done * 128;
      s.running = Math.round(s.rate * 2 * (0.5 + r()));
      s.waiting = Math.round(r() * 3);
      observe(s.hists[VllmMetric.timeToFirstToken]!, 0.05 + r() * 0.3, done);
      observe(s.hists[VllmMetric.interTokenLatency]!, 0.02 + r() * 0.02, done * 127);
      observe(s.hists[VllmMetric.timePerOutputToken]!, 0.02 + r() * 0.02, done * 127);
      observe(s.hists[VllmMetric.e2eLatency]!, 3 + r(), done);
      observe(s.hists[VllmMetric.queueTime]!, r() * 0.1, done);
      observe(s.hists[VllmMetric.requestPromptTokens]!, 512, done);
      observe(s.hists[VllmMetric.requestGenerationTokens]!, 128, done);
    }
  };
  const render = (): string => {
    advance();
    const out: string[] = [];
    const gauge = (name: string, v: (s: Server) => number): void => {
      out.push(`# TYPE ${name} gauge`);
      for (const s of servers) out.push(`${name}{${s.labels}} ${v(s)}`);
    };
    gauge(VllmMetric.running, (s) => s.running);
    gauge(VllmMetric.waiting, (s) => s.waiting);
    gauge(VllmMetric.kvCacheUsage, (s) => s.running / 1000);
    out.push(`# TYPE ${VllmMetric.requestSuccess} counter`);
    for (const s of servers) {
      out.push(`${VllmMetric.requestSuccess}{${s.labels},${L.finishedReason}="length"} ${s.success}`);
      out.push(`${VllmMetric.requestSuccess}{${s.labels},${L.finishedReason}="stop"} 0`, `${VllmMetric.requestSuccess}{${s.labels},${L.finishedReason}="abort"} 0`);
    }
    out.push(`# TYPE ${VllmMetric.promptTokens} counter`);
    for (const s of servers) out.push(`${VllmMetric.promptTokens}{${s.labels}} ${s.prompt}`);
    out.push(`# TYPE ${VllmMetric.generationTokens} counter`);
    for (const s of servers) out.push(`${VllmMetric.generationTokens}{${s.labels}} ${s.generation}`);
    for (const name of Object.keys(servers[0]?.hists ?? {})) {
      out.push(`# TYPE ${name} histogram`);
      for (const s of servers) {
        const h = s.hists[name]!;
        h.buckets.forEach((b, i) => { out.push(`${name}_bucket{${s.labels},le="${b}"} ${h.counts[i] ?? 0}`); });
        out.push(`${name}_bucket{${s.labels},le="+Inf"} ${h.count}`, `${name}_sum{${s.labels}} ${h.sum}`, `${name}_count{${s.labels}} ${h.count}`);
      }
    }
    return `${out.join('\n')}\n`;
  };
  const perServer = 3 + 3 + 2 + Object.values(servers[0]?.hists ?? {}).reduce((a, h) => a + h.buckets.length + 3, 0);
  return { render, series: perServer * n };
}

for (const n of sizes) {
  const f = fleet(n);
  const exporter = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(f.render());
  });
  await new Promise<void>((ok) => { exporter.listen(0, '127.0.0.1', ok); });
  const port = (exporter.address() as AddressInfo).port;
  const prom = await startPrometheus([{ address: `127.0.0.1:${port}`, labels: {} }]);
  try {
    await prom.waitForTargets(1, 60_000);
    await new Promise((ok) => setTimeout(ok, fillS * 1000));
    const client = await createPrometheusClient({ url: prom.url, timeoutMs: 30_000 });
    const servers = Array.from({ length: n }, (_, i) => ({ namespace: `team-${i % 37}`, model: `org/model-${i}.v1` }));
    const times: number[] = [];
    // servers with every quantity known, the fewest over the runs: a scrape slower than its interval shows here
    let observed = n;
    let errors: readonly string[] = [];
    let queries = 0;
    for (let k = 0; k <= runs; k += 1) {
      const t0 = performance.now();
      const c = await collect(client, servers, { windowS, staleAfterS: 10, perPod: false, lookbackS: 120 }, Date.now() / 1000);
      times.push(performance.now() - t0);
      observed = Math.min(observed, c.observations.filter((o) => isKnown(o.arrivalRpm) && isKnown(o.itlMs) && isKnown(o.sampleAgeS)).length);
      errors = c.errors;
      queries = c.queries;
    }
    const perQuery: Record<string, number> = {};
    if (values['per-query']) {
      const qs = buildQueries({ windowS, perPod: false, lookbackS: 120, stepS: lookbackStep(10), selector: { namespaces: servers.map((s) => s.namespace), models: servers.map((s) => s.model) } });
      for (const name of QueryNames) {
        const ts: number[] = [];
        for (let k = 0; k < runs; k += 1) {
          const t0 = performance.now();
          await client.query(qs[name], { time: Date.now() / 1000 });
          ts.push(performance.now() - t0);
        }
        perQuery[name] = Math.round((ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)] ?? 0) * 100) / 100;
      }
    }
    client.close();
    const warm = times.slice(1).sort((a, b) => a - b);
    const at = (q: number): number => warm[Math.min(warm.length - 1, Math.ceil(q * warm.length) - 1)] ?? Number.NaN;
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    process.stdout.write(`${JSON.stringify({
      bench: 'collector', servers: n, series: f.series, queries, window: `${windowS}s`,
      coldMs: r2(times[0] ?? Number.NaN), warmMedianMs: r2(at(0.5)), warmP90Ms: r2(at(0.9)), runs, observed, errors,
      // the machine's 1-minute load average at the end: timings on a shared machine are only as quiet as it is
      loadAvg1m: r2(loadavg()[0] ?? Number.NaN),
      ...(values['per-query'] ? { perQueryMedianMs: perQuery } : {}),
    })}\n`);
  } finally {
    await prom.stop();
    await new Promise<void>((ok) => { exporter.close(() => { ok(); }); exporter.closeAllConnections(); });
  }
}
