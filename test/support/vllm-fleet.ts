// Emulated vLLM series for a fleet of model servers, for benchmarks against a real Prometheus: one exporter renders
// vLLM's full exposition (every metric the emulator has, histograms with their buckets) for N servers, each with
// its own namespace, model and pod labels, and advances their counters on every scrape like servers taking `rate`
// req/s with the given token lengths (±20 % noise per scrape).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VllmMetric } from '../../src/domain/keys.js';
import { seededRandom } from '../../src/engine/random.js';
import { oneTwoFiveBuckets } from '../../src/emulator/metrics.js';

const L = VllmMetric.label;
const ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const itlBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const latencyBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];
const tokenBuckets = oneTwoFiveBuckets(131_072);

export interface FleetServer {
  readonly namespace: string;
  readonly model: string;
  readonly pod: string;
  /** req/s */
  readonly rate: number;
  readonly inTokens: number;
  readonly outTokens: number;
}

interface Hist { readonly buckets: readonly number[]; readonly counts: number[]; sum: number; count: number }
const hist = (buckets: readonly number[]): Hist => ({ buckets, counts: buckets.map(() => 0), sum: 0, count: 0 });
const observe = (h: Hist, v: number, n: number): void => {
  h.buckets.forEach((b, i) => { if (v <= b) h.counts[i] = (h.counts[i] ?? 0) + n; });
  h.sum += v * n;
  h.count += n;
};

interface State {
  readonly s: FleetServer;
  readonly labels: string;
  success: number;
  prompt: number;
  generation: number;
  running: number;
  waiting: number;
  readonly hists: Record<string, Hist>;
}

export interface Fleet {
  render(): string;
  /** series per scrape */
  readonly series: number;
}

export function vllmFleet(servers: readonly FleetServer[], seed: number): Fleet {
  const r = seededRandom(seed);
  const states: State[] = servers.map((s) => ({
    s, labels: `${L.model}="${s.model}",${L.engine}="0",${L.namespace}="${s.namespace}",${L.pod}="${s.pod}"`,
    success: 0, prompt: 0, generation: 0, running: 0, waiting: 0,
    hists: {
      [VllmMetric.timeToFirstToken]: hist(ttftBuckets), [VllmMetric.interTokenLatency]: hist(itlBuckets), [VllmMetric.timePerOutputToken]: hist(itlBuckets),
      [VllmMetric.e2eLatency]: hist(latencyBuckets), [VllmMetric.queueTime]: hist(latencyBuckets),
      [VllmMetric.requestPromptTokens]: hist(tokenBuckets), [VllmMetric.requestGenerationTokens]: hist(tokenBuckets),
    },
  }));
  const h = (st: State, name: string): Hist => st.hists[name] ?? hist([]);
  let last = performance.now();
  const advance = (): void => {
    const now = performance.now();
    const dt = (now - last) / 1000;
    last = now;
    for (const st of states) {
      const done = Math.round(st.s.rate * dt * (0.8 + 0.4 * r()));
      st.success += done;
      st.prompt += done * st.s.inTokens;
      st.generation += done * st.s.outTokens;
      st.running = Math.round(st.s.rate * 2 * (0.5 + r()));
      st.waiting = Math.round(r() * 3);
      observe(h(st, VllmMetric.timeToFirstToken), 0.05 + r() * 0.3, done);
      observe(h(st, VllmMetric.interTokenLatency), 0.02 + r() * 0.02, done * (st.s.outTokens - 1));
      observe(h(st, VllmMetric.timePerOutputToken), 0.02 + r() * 0.02, done * (st.s.outTokens - 1));
      observe(h(st, VllmMetric.e2eLatency), 3 + r(), done);
      observe(h(st, VllmMetric.queueTime), r() * 0.1, done);
      observe(h(st, VllmMetric.requestPromptTokens), st.s.inTokens, done);
      observe(h(st, VllmMetric.requestGenerationTokens), st.s.outTokens, done);
    }
  };
  const render = (): string => {
    advance();
    const out: string[] = [];
    const gauge = (name: string, v: (s: State) => number): void => {
      out.push(`# TYPE ${name} gauge`);
      for (const st of states) out.push(`${name}{${st.labels}} ${v(st)}`);
    };
    gauge(VllmMetric.running, (st) => st.running);
    gauge(VllmMetric.waiting, (st) => st.waiting);
    gauge(VllmMetric.kvCacheUsage, (st) => st.running / 1000);
    out.push(`# TYPE ${VllmMetric.requestSuccess} counter`);
    for (const st of states) {
      out.push(`${VllmMetric.requestSuccess}{${st.labels},${L.finishedReason}="length"} ${st.success}`);
      out.push(`${VllmMetric.requestSuccess}{${st.labels},${L.finishedReason}="stop"} 0`, `${VllmMetric.requestSuccess}{${st.labels},${L.finishedReason}="abort"} 0`);
    }
    out.push(`# TYPE ${VllmMetric.promptTokens} counter`);
    for (const st of states) out.push(`${VllmMetric.promptTokens}{${st.labels}} ${st.prompt}`);
    out.push(`# TYPE ${VllmMetric.generationTokens} counter`);
    for (const st of states) out.push(`${VllmMetric.generationTokens}{${st.labels}} ${st.generation}`);
    for (const name of Object.keys(states[0]?.hists ?? {})) {
      out.push(`# TYPE ${name} histogram`);
      for (const st of states) {
        const x = h(st, name);
        x.buckets.forEach((b, i) => { out.push(`${name}_bucket{${st.labels},le="${b}"} ${x.counts[i] ?? 0}`); });
        out.push(`${name}_bucket{${st.labels},le="+Inf"} ${x.count}`, `${name}_sum{${st.labels}} ${x.sum}`, `${name}_count{${st.labels}} ${x.count}`);
      }
    }
    return `${out.join('\n')}\n`;
  };
  const perServer = 3 + 3 + 2 + Object.values(states[0]?.hists ?? {}).reduce((a, x) => a + x.buckets.length + 3, 0);
  return { render, series: perServer * states.length };
}

/** Serves the fleet's /metrics on a free loopback port until closed. */
export async function serveFleet(f: Fleet): Promise<{ readonly address: string; close(): Promise<void> }> {
  const exporter = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(f.render());
  });
  await new Promise<void>((ok) => { exporter.listen(0, '127.0.0.1', ok); });
  const port = (exporter.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => { exporter.close(() => { ok(); }); exporter.closeAllConnections(); }),
  };
}
