// npm run bench:collector — the time for one collection (every quantity of every model server, one query per
// quantity) against a real Prometheus holding the series of that many servers. One JSON line per size:
// {bench:"collector", servers, series, queries, window, coldMs, warmMedianMs, warmP90Ms, runs, observed, errors,
// loadAvg1m}; with --per-query also each query's median time alone.
//
// The series are emulated (test/support/vllm-fleet.ts): one exporter renders vLLM's full exposition (every metric
// the emulator has, histograms with their buckets) for N model servers, each in its own namespace-and-model pair
// with one pod, and advances their counters on every scrape like a server taking ~1–20 req/s. Prometheus scrapes it every 5 s and holds 40 s
// of data before measuring; the rate window is 30 s (6 samples per series: a little more work per query than a
// production 1 m window over 15 s scrapes). "cold" is the first collection, "warm" the median of the next ones.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { collect, lookbackStep } from '../../src/collector/collect.js';
import { isKnown } from '../../src/collector/interpret.js';
import { QueryNames, buildQueries } from '../../src/collector/promql.js';
import { seededRandom } from '../../src/engine/random.js';
import type { PrometheusClient } from '../../src/prometheus/client.js';
import { createPrometheusClient } from '../../src/prometheus/client.js';
import { startPrometheus } from '../support/prometheus.js';
import type { FleetServer } from '../support/vllm-fleet.js';
import { serveFleet, vllmFleet } from '../support/vllm-fleet.js';

const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '10,100,500' }, runs: { type: 'string', default: '10' }, fill: { type: 'string', default: '40' },
  // also time each query alone (sequentially, median of `runs`): which quantity costs what
  'per-query': { type: 'boolean', default: false },
} });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const fillS = Number(values.fill);
const windowS = 30;
const scrapeS = 5;
const staleAfterS = 4 * scrapeS;

/** n model servers of ~1–20 req/s, each in its own namespace-and-model pair with one pod. */
function fleetServers(n: number): FleetServer[] {
  const r = seededRandom(n);
  return Array.from({ length: n }, (_, i) => ({ namespace: `team-${i % 37}`, model: `org/model-${i}.v1`, pod: `model-${i}-0`, rate: 1 + r() * 19, inTokens: 512, outTokens: 128 }));
}

/** Each query alone, sequentially: median ms of `runs`. */
async function timeEachQuery(client: PrometheusClient, servers: readonly { namespace: string; model: string }[]): Promise<Record<string, number>> {
  const qs = buildQueries({ windowS, perPod: false, lookbackS: 120, stepS: lookbackStep(staleAfterS), selector: { namespaces: servers.map((s) => s.namespace), models: servers.map((s) => s.model) } });
  const out: Record<string, number> = {};
  for (const name of QueryNames) {
    const ts: number[] = [];
    for (let k = 0; k < runs; k += 1) {
      const t0 = performance.now();
      await client.query(qs[name], { time: Date.now() / 1000 });
      ts.push(performance.now() - t0);
    }
    out[name] = Math.round((ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)] ?? 0) * 100) / 100;
  }
  return out;
}

for (const n of sizes) {
  const fleetOf = fleetServers(n);
  const f = vllmFleet(fleetOf, n);
  const exporter = await serveFleet(f);
  const prom = await startPrometheus([{ address: exporter.address, labels: {} }], { scrapeIntervalS: scrapeS });
  try {
    await prom.waitForTargets(1, 60_000);
    await new Promise((ok) => setTimeout(ok, fillS * 1000));
    const client = await createPrometheusClient({ url: prom.url, timeoutMs: 30_000 });
    const servers = fleetOf.map((x) => ({ namespace: x.namespace, model: x.model }));
    const times: number[] = [];
    // servers with every quantity known, the fewest over the runs: a scrape slower than its interval shows here
    let observed = n;
    let errors: readonly string[] = [];
    let queries = 0;
    for (let k = 0; k <= runs; k += 1) {
      const t0 = performance.now();
      const c = await collect(client, servers, { windowS, staleAfterS, perPod: false, lookbackS: 120 }, Date.now() / 1000);
      times.push(performance.now() - t0);
      observed = Math.min(observed, c.observations.filter((o) => isKnown(o.arrivalRpm) && isKnown(o.itlMs) && isKnown(o.sampleAgeS)).length);
      errors = c.errors;
      queries = c.queries;
    }
    const perQuery = values['per-query'] ? await timeEachQuery(client, servers) : {};
    client.close();
    const warm = times.slice(1).sort((a, b) => a - b);
    const at = (q: number): number => warm[Math.min(warm.length - 1, Math.ceil(q * warm.length) - 1)] ?? Number.NaN;
    const r2 = (x: number): number => Math.round(x * 100) / 100;
    process.stdout.write(`${JSON.stringify({
      bench: 'collector', servers: n, series: f.series, queries, window: `${windowS}s`, scrapeInterval: `${scrapeS}s`,
      coldMs: r2(times[0] ?? Number.NaN), warmMedianMs: r2(at(0.5)), warmP90Ms: r2(at(0.9)), runs, observed, errors,
      // the machine's 1-minute load average at the end: timings on a shared machine are only as quiet as it is
      loadAvg1m: r2(loadavg()[0] ?? Number.NaN),
      ...(values['per-query'] ? { perQueryMedianMs: perQuery } : {}),
    })}\n`);
  } finally {
    await prom.stop();
    await exporter.close();
  }
}
