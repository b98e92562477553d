// How far the queueing model's predictions are from what a batching server does: one replica of the batching
// engine at a steady Poisson load, against the analyzer's mean TTFT and ITL at the same rate, batch size and token
// means. Utilisation u means a rate of u × the analyzer's maximum rate (the full batch's service rate).
import { createEngine } from '../engine/engine.js';
import { seededRandom } from '../engine/random.js';
import { exponential } from '../engine/random.js';
import { runVirtual } from '../engine/virtual.js';
import type { VirtualArrival } from '../engine/virtual.js';
import { createAnalyzer } from '../model/analyzer.js';
import type { PerfProfile } from '../domain/types.js';
import type { TokenSpec } from './traffic.js';
import { sampleTokenSpec, subSeed, tokenMean } from './traffic.js';

export interface AccuracyInput {
  readonly profile: PerfProfile;
  /** the replica's --max-num-seqs (the analyzer's N) */
  readonly maxBatch: number;
  readonly inputTokens: TokenSpec;
  readonly outputTokens: TokenSpec;
  readonly utilisation: number;
  /** requests measured after the warm-up */
  readonly requests: number;
  readonly warmup: number;
  readonly seed: number;
  readonly noiseSigma: number;
  readonly maxModelLen: number;
}

export interface AccuracyPoint {
  readonly utilisation: number;
  /** req/s */
  readonly rate: number;
  readonly maxBatch: number;
  /** ms */
  readonly predicted: { readonly ttft: number; readonly itl: number };
  /** ms: mean TTFT, and mean ITL over all gaps (token-weighted, as vLLM's histogram counts it) */
  readonly simulated: { readonly ttft: number; readonly itl: number; readonly requests: number };
  /** (simulated − predicted) / simulated */
  readonly error: { readonly ttft: number; readonly itl: number };
}

export function accuracyPoint(i: AccuracyInput): AccuracyPoint | string {
  const { profile: p, maxBatch } = i;
  const inMean = Math.round(tokenMean(i.inputTokens));
  const outMean = Math.max(1, Math.round(tokenMean(i.outputTokens)));
  const analyzer = createAnalyzer('v2', { alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta, maxBatch, inTokens: inMean, outTokens: outMean });
  if (!analyzer.ok) return analyzer.reason;
  const rate = i.utilisation * analyzer.value.maxRate;
  const m = analyzer.value.analyze(rate);
  if (!m.ok) return m.reason;

  const r = seededRandom(subSeed(i.seed, 1));
  const tokens = seededRandom(subSeed(i.seed, 2));
  const total = i.warmup + i.requests;
  const arrivals: VirtualArrival[] = [];
  let t = 0;
  for (let k = 0; k < total; k += 1) {
    t += exponential(r, 1000 / rate);
    const inputTokens = sampleTokenSpec(i.inputTokens, tokens, 0);
    const outputTokens = Math.min(sampleTokenSpec(i.outputTokens, tokens, 1), Math.max(1, i.maxModelLen - inputTokens));
    arrivals.push({ t, inputTokens: Math.min(inputTokens, i.maxModelLen - 1), outputTokens });
  }
  const engine = createEngine({
    alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta, maxNumSeqs: maxBatch, maxWaiting: 100_000,
    kvCapacityTokens: maxBatch * i.maxModelLen, noiseSigma: i.noiseSigma,
  }, seededRandom(subSeed(i.seed, 3)), { tokenEvents: 'ends' });
  const records = runVirtual(engine, arrivals);
  let ttftSum = 0, n = 0, gapTime = 0, gaps = 0;
  records.forEach((rec, k) => {
    if (k < i.warmup || rec.firstToken === undefined || rec.lastToken === undefined) return;
    ttftSum += rec.firstToken - rec.arrival;
    n += 1;
    const out = arrivals[k]?.outputTokens ?? 1;
    if (out > 1) {
      gapTime += rec.lastToken - rec.firstToken;
      gaps += out - 1;
    }
  });
  const simulated = { ttft: n > 0 ? ttftSum / n : Number.NaN, itl: gaps > 0 ? gapTime / gaps : Number.NaN, requests: n };
  const predicted = { ttft: m.value.ttft, itl: m.value.itl };
  return {
    utilisation: i.utilisation, rate, maxBatch, predicted, simulated,
    error: { ttft: (simulated.ttft - predicted.ttft) / simulated.ttft, itl: (simulated.itl - predicted.itl) / simulated.itl },
  };
}
