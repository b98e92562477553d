// The `Simulation` document of a simulation scenario (beside the Optimizers, ConfigMaps, Nodes and Deployments):
// how long, which seed, the router, start-up delays, the baselines' targets and each model's traffic. Parsed with
// zod at the edge into plain data; every number that drives work is bounded.
import { z } from 'zod';
import type { Where } from '../cluster/issues.js';
import { fromZod } from '../cluster/issues.js';
import type { InputIssue } from '../cluster/issues.js';
import { parseSeconds } from '../engine/arrivals.js';
import type { Router } from './setup.js';
import type { ArrivalSpec, TokenSpec } from './traffic.js';
import { TrafficLimits, parseTokenSpec } from './traffic.js';

export const SimulationKind = 'Simulation';

/** "90s", "5m", "2h", "250ms" or a number of seconds, within [min, max] seconds. */
const seconds = (min: number, max: number) => z.union([z.number(), z.string()]).transform((v, ctx) => {
  const s = typeof v === 'number' ? v : parseSeconds(v);
  if (!Number.isFinite(s) || s < min || s > max) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 5m or 2h from ${min} s to ${max} s; got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return s;
});

const rate = z.number({ error: 'expected a rate in requests per second' }).min(0).max(TrafficLimits.maxRate);

const tokens = (min: number) => z.union([z.number().int(), z.string()]).transform((v, ctx): TokenSpec => {
  const d = parseTokenSpec(String(v), min);
  if (typeof d === 'string') {
    ctx.addIssue({ code: 'custom', message: d });
    return z.NEVER;
  }
  return d;
});

const ArrivalsSchema = z.union([
  z.strictObject({ constant: rate }),
  z.strictObject({ step: z.array(z.strictObject({ rate, for: seconds(1, TrafficLimits.maxDurationS).optional() })).min(1).max(1000) }),
  z.strictObject({ ramp: z.strictObject({ from: rate, to: rate }) }),
  z.strictObject({
    diurnal: z.strictObject({
      mean: rate,
      amplitude: z.number().min(0).max(1).default(0.5),
      /** default: the run's duration (one compressed day) */
      period: seconds(60, TrafficLimits.maxDurationS).optional(),
      /** default: half the period */
      peakAt: seconds(0, TrafficLimits.maxDurationS).optional(),
      noise: z.number().min(0).max(2).default(0.1),
    }),
  }),
  z.strictObject({
    bursty: z.strictObject({ low: rate, high: rate, meanLow: seconds(1, TrafficLimits.maxDurationS), meanHigh: seconds(1, TrafficLimits.maxDurationS) }),
  }),
], { error: 'expected one of {constant: RATE}, {step: [{rate, for}, …]}, {ramp: {from, to}}, {diurnal: {mean, amplitude, period, peakAt, noise}}, {bursty: {low, high, meanLow, meanHigh}}' });

const TrafficSchema = z.strictObject({
  /** the Optimizer's spec.modelID */
  model: z.string().min(1),
  arrivals: ArrivalsSchema,
  inputTokens: tokens(0).default({ kind: 'fixed', value: 512 }),
  outputTokens: tokens(1).default({ kind: 'fixed', value: 128 }),
});

const SpecSchema = z.strictObject({
  duration: seconds(60, TrafficLimits.maxDurationS).default(3 * 3600),
  drain: seconds(0, 3600).default(600),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  router: z.enum(['round-robin', 'least-loaded']).default('least-loaded'),
  noise: z.number().min(0).max(2).default(0.05),
  maxModelLen: z.number().int().min(2).max(131_072).default(4096),
  maxWaiting: z.number().int().min(1).max(100_000).default(10_000),
  sample: seconds(1, 3600).default(60),
  sloMargin: z.number().min(0.1).max(1).default(0.8),
  /** accelerator name → start-up; `default` for the others */
  startup: z.record(z.string().min(1), seconds(0, 3600)).default({}),
  baselines: z.strictObject({
    hpaRunningTarget: z.number().positive().max(4096).optional(),
    hpaKvTarget: z.number().positive().max(1).optional(),
    kedaWaitingTarget: z.number().positive().max(100_000).default(5),
    kedaPolling: seconds(1, 3600).default(30),
    kedaCooldown: seconds(0, 86_400).default(300),
  }).default({ kedaWaitingTarget: 5, kedaPolling: 30, kedaCooldown: 300 }),
  traffic: z.array(TrafficSchema).max(1000).default([]),
});

export const SimulationSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.literal(SimulationKind),
  metadata: z.looseObject({ name: z.string().optional() }).optional(),
  spec: SpecSchema,
});

export interface TrafficEntry {
  readonly model: string;
  readonly arrivals: ArrivalSpec;
  readonly inputTokens: TokenSpec;
  readonly outputTokens: TokenSpec;
}

export interface SimulationSpec {
  readonly durationS: number;
  readonly drainS: number;
  readonly seed: number;
  readonly router: Router;
  readonly noiseSigma: number;
  readonly maxModelLen: number;
  readonly maxWaiting: number;
  readonly sampleS: number;
  readonly sloMargin: number;
  readonly startupS: Readonly<Record<string, number>>;
  readonly baselines: {
    readonly hpaRunningTarget?: number;
    readonly hpaKvTarget?: number;
    readonly kedaWaitingTarget: number;
    readonly kedaPollingS: number;
    readonly kedaCooldownS: number;
  };
  readonly traffic: readonly TrafficEntry[];
}

type Parsed = z.infer<typeof SpecSchema>;

function arrivalsOf(a: Parsed['traffic'][number]['arrivals']): ArrivalSpec {
  if ('constant' in a) return { kind: 'constant', rate: a.constant };
  if ('step' in a) return { kind: 'step', steps: a.step.map((s) => (s.for !== undefined ? { rate: s.rate, seconds: s.for } : { rate: s.rate })) };
  if ('ramp' in a) return { kind: 'ramp', from: a.ramp.from, to: a.ramp.to };
  if ('diurnal' in a) {
    const d = a.diurnal;
    return { kind: 'diurnal', mean: d.mean, amplitude: d.amplitude, noise: d.noise, ...(d.period !== undefined ? { periodS: d.period } : {}), ...(d.peakAt !== undefined ? { peakAtS: d.peakAt } : {}) };
  }
  return { kind: 'bursty', low: a.bursty.low, high: a.bursty.high, meanLowS: a.bursty.meanLow, meanHighS: a.bursty.meanHigh };
}

/** The spec of a Simulation document, or the issues found in it (with field paths). */
export function simulationSpecOf(value: unknown, where: Where): SimulationSpec | InputIssue[] {
  const r = SimulationSchema.safeParse(value);
  if (!r.success) return fromZod(r.error, where);
  const s = r.data.spec;
  const { kedaWaitingTarget, kedaPolling, kedaCooldown, hpaRunningTarget, hpaKvTarget } = s.baselines;
  return {
    durationS: s.duration, drainS: s.drain, seed: s.seed, router: s.router, noiseSigma: s.noise, maxModelLen: s.maxModelLen,
    maxWaiting: s.maxWaiting, sampleS: s.sample, sloMargin: s.sloMargin, startupS: s.startup,
    baselines: {
      kedaWaitingTarget, kedaPollingS: kedaPolling, kedaCooldownS: kedaCooldown,
      ...(hpaRunningTarget !== undefined ? { hpaRunningTarget } : {}), ...(hpaKvTarget !== undefined ? { hpaKvTarget } : {}),
    },
    traffic: s.traffic.map((t) => ({ model: t.model, arrivals: arrivalsOf(t.arrivals), inputTokens: t.inputTokens, outputTokens: t.outputTokens })),
  };
}
