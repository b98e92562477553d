// vLLM's /metrics as the V1 engine exposes them (names, types, labels and bucket boundaries from
// vllm/v1/metrics/loggers.py), on a registry the emulator owns. Gauges are read from the engine at scrape time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VllmMetric } from '../domain/keys.js';
import type { EngineState, FinishReason } from '../engine/engine.js';

const L = VllmMetric.label;
const labelNames = [L.model, L.engine] as const;

const ttftBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];
const itlBuckets = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const latencyBuckets = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

/** vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, … up to max_model_len. */
export function oneTwoFiveBuckets(max: number): number[] {
  const out: number[] = [];
  for (let exp = 1; out.length < 64; exp *= 10) {
    for (const m of [1, 2, 5]) {
      if (m * exp > max) return out;
      out.push(m * exp);
    }
  }
  return out;
}

export interface VllmMetrics {
  readonly registry: Registry;
  /** the request left the queue after `seconds` */
  scheduled(seconds: number): void;
  /** the first token, `ttftSeconds` after arrival, of a prompt of `promptTokens` */
  firstToken(ttftSeconds: number, promptTokens: number): void;
  /** a later token, `gapSeconds` after the one before */
  nextToken(gapSeconds: number): void;
  finished(reason: FinishReason, e2eSeconds: number, promptTokens: number, generationTokens: number): void;
  /** refused before it reached the engine (queue full): an aborted request, as a client timeout would be in vLLM */
  rejected(): void;
}

export function createVllmMetrics(modelName: string, state: () => EngineState, registry: Registry = new Registry()): VllmMetrics {
  const labels = { [L.model]: modelName, [L.engine]: '0' };
  const registers = [registry];
  const gauge = (name: string, help: string, read: (s: EngineState) => number): void => {
    new Gauge({
      name, help, labelNames, registers,
      collect() { this.set(labels, read(state())); },
    });
  };
  gauge(VllmMetric.running, 'Number of requests in model execution batches.', (s) => s.running);
  gauge(VllmMetric.waiting, 'Number of requests waiting to be processed.', (s) => s.waiting);
  gauge(VllmMetric.kvCacheUsage, 'KV-cache usage. 1 means 100 percent usage.', (s) => s.kvUsage);

  const success = new Counter({ name: VllmMetric.requestSuccess, help: 'Count of successfully processed requests.', labelNames: [...labelNames, L.finishedReason], registers });
  const prompt = new Counter({ name: VllmMetric.promptTokens, help: 'Number of prefill tokens processed.', labelNames, registers });
  const generation = new Counter({ name: VllmMetric.generationTokens, help: 'Number of generation tokens processed.', labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames, buckets, registers });
  const ttft = histogram(VllmMetric.timeToFirstToken, 'Histogram of time to first token in seconds.', ttftBuckets);
  const itl = histogram(VllmMetric.interTokenLatency, 'Histogram of inter-token latency in seconds.', itlBuckets);
  const tpot = histogram(VllmMetric.timePerOutputToken, 'Histogram of time per output token in seconds. DEPRECATED: use vllm:inter_token_latency_seconds instead.', itlBuckets);
  const e2e = histogram(VllmMetric.e2eLatency, 'Histogram of e2e request latency in seconds.', latencyBuckets);
  const queue = histogram(VllmMetric.queueTime, 'Histogram of time spent in WAITING phase for request.', latencyBuckets);
  // max_model_len is unknown here; 131072 covers every model the emulator accepts.
  const tokenBuckets = oneTwoFiveBuckets(131_072);
  const promptHist = histogram(VllmMetric.requestPromptTokens, 'Number of prefill tokens processed.', tokenBuckets);
  const generationHist = histogram(VllmMetric.requestGenerationTokens, 'Number of generation tokens processed.', tokenBuckets);

  // Expose every series at zero from the start, as vLLM does, so rate() has a first sample before the first request.
  for (const reason of ['stop', 'length', 'abort']) success.inc({ ...labels, [L.finishedReason]: reason }, 0);
  prompt.inc(labels, 0);
  generation.inc(labels, 0);
  for (const h of [ttft, itl, tpot, e2e, queue, promptHist, generationHist]) h.zero(labels);

  return {
    registry,
    scheduled: (s) => { queue.observe(labels, s); },
    firstToken: (s, promptTokens) => {
      ttft.observe(labels, s);
      prompt.inc(labels, promptTokens);
      generation.inc(labels, 1);
    },
    nextToken: (s) => {
      itl.observe(labels, s);
      tpot.observe(labels, s);
      generation.inc(labels, 1);
    },
    finished: (reason, s, promptTokens, generationTokens) => {
      success.inc({ ...labels, [L.finishedReason]: reason });
      e2e.observe(labels, s);
      promptHist.observe(labels, promptTokens);
      generationHist.observe(labels, generationTokens);
    },
    rejected: () => { success.inc({ ...labels, [L.finishedReason]: 'abort' }); },
  };
}
