// A continuous-batching engine in the manner of one vLLM replica: a FIFO waiting queue, a running batch of at most
// maxNumSeqs sequences, and iteration timing from the profile an Optimizer holds (decode α + β·n, prefill γ + δ·I·n,
// ms, n = sequences in the batch). Pure and clock-free: the caller says what time it is (`advance`, `submit`,
// `abort`), asks when the next thing happens (`nextEventTime`), and gets events back. The emulator drives it with the
// wall clock; a discrete-event simulator can drive it in virtual time. It deliberately does not use src/model: the
// simulator built on it checks the analyzer, so it must not share its formulas' shortcuts.
//
// How a request moves (one reading of the model in model-and-solver.md §2, discretised):
// - waiting → admitted at a scheduler step when a slot and KV room are free (FIFO, no overtaking). Scheduler steps
//   happen at the end of each decode iteration, and immediately when no decode iteration is in progress.
// - prefill: γ + δ·I·n ms (× noise), n = batch size after the step's admissions; it runs alongside the decode
//   iterations (roughly what chunked prefill does) and ends with the first token — so TTFT = queue time + prefill,
//   as vLLM measures it. I = 0 skips prefill.
// - decode: iterations are synchronous for the whole batch and take α + β·n ms (× noise), n = all running sequences
//   (prefilling ones included: they share the GPU). A sequence whose prefill ended joins at the next iteration
//   boundary; each iteration gives each member one token. A request ends after exactly `outputTokens` tokens
//   (finish reason "length": the emulator ignores EOS, as load tests do).
// - noise: each iteration and each prefill is multiplied by an independent mean-1 lognormal factor (σ configurable),
//   so measured latencies scatter like a real GPU's instead of mirroring a mean-value formula.
// KV cache: a request reserves I + O tokens at admission (no preemption); usage reports the tokens held (prompt +
// generated so far) over the capacity. A request that could never fit is rejected at submit.
import { MinHeap } from './heap.js';
import type { Random } from './random.js';
import { lognormalFactor } from './random.js';

/** Hard bounds on what the engine accepts, so that no input makes it allocate or loop without limit. */
export const EngineLimits = { maxNumSeqs: 4096, maxWaiting: 100_000, maxTokens: 131_072, maxKvTokens: 1e9 } as const;

export interface EngineParams {
  /** decode iteration time α + β·n, ms */
  readonly alpha: number;
  readonly beta: number;
  /** prefill time γ + δ·I·n, ms */
  readonly gamma: number;
  readonly delta: number;
  /** vLLM --max-num-seqs: sequences in the batch */
  readonly maxNumSeqs: number;
  /** requests beyond this many waiting are rejected */
  readonly maxWaiting: number;
  /** KV-cache capacity in tokens */
  readonly kvCapacityTokens: number;
  /** σ of the lognormal noise factor per iteration and per prefill; 0 = deterministic timing */
  readonly noiseSigma: number;
}

export interface EngineRequest {
  readonly id: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type FinishReason = 'length' | 'abort';

export type EngineEvent =
  /** left the waiting queue; prefill starts */
  | { readonly kind: 'scheduled'; readonly id: number; readonly t: number }
  /** a token; index 0 is the first (end of prefill) */
  | { readonly kind: 'token'; readonly id: number; readonly t: number; readonly index: number }
  | { readonly kind: 'finished'; readonly id: number; readonly t: number; readonly reason: FinishReason; readonly outputTokens: number }
  /** not accepted: the waiting queue is full, or the request can never fit the KV cache */
  | { readonly kind: 'rejected'; readonly id: number; readonly t: number; readonly why: 'queue-full' | 'too-long' };

export interface EngineState {
  readonly running: number;
  readonly waiting: number;
  /** tokens held in the KV cache */
  readonly kvTokens: number;
  /** kvTokens / capacity, 0–1 */
  readonly kvUsage: number;
}

export interface Engine {
  submit(t: number, req: EngineRequest): EngineEvent[];
  /** Processes everything that happens up to and including time t. */
  advance(t: number): EngineEvent[];
  /** Drops a request (client went away) wherever it is; no event if it is unknown or finished. */
  abort(t: number, id: number): EngineEvent[];
  /** When the next event happens (ms), undefined when idle. */
  nextEventTime(): number | undefined;
  state(): EngineState;
}

export function checkEngineParams(p: EngineParams): string[] {
  const problems: string[] = [];
  const nonNeg = (name: keyof EngineParams, max = 1e7): void => {
    const v = p[name];
    if (!Number.isFinite(v) || v < 0 || v > max) problems.push(`${name} must be a number from 0 to ${max}; got ${v}`);
  };
  nonNeg('alpha');
  nonNeg('beta');
  nonNeg('gamma');
  nonNeg('delta');
  nonNeg('noiseSigma', 2);
  const whole = (name: keyof EngineParams, min: number, max: number): void => {
    const v = p[name];
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be a whole number from ${min} to ${max}; got ${v}`);
  };
  whole('maxNumSeqs', 1, EngineLimits.maxNumSeqs);
  whole('maxWaiting', 1, EngineLimits.maxWaiting);
  whole('kvCapacityTokens', 1, EngineLimits.maxKvTokens);
  // A batch iteration of zero time would let a driver spin: require some decode time.
  if (problems.length === 0 && p.alpha + p.beta <= 0) problems.push('alpha + beta must be positive (an iteration takes time)');
  return problems;
}

interface Seq {
  readonly id: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  phase: 'waiting' | 'prefill' | 'ready' | 'decode' | 'gone';
  produced: number;
  prefillEnd: number;
}

export interface EngineOptions {
  /**
   * all: a token event per generated token (what a streaming server needs); ends: only each request's first and
   * last token (what a simulator needs: TTFT and mean ITL), which saves an event per token.
   */
  readonly tokenEvents?: 'all' | 'ends';
}

export function createEngine(params: EngineParams, random: Random, options: EngineOptions = {}): Engine {
  const problems = checkEngineParams(params);
  if (problems.length > 0) throw new RangeError(`engine parameters: ${problems.join('; ')}`);
  const { alpha, beta, gamma, delta, maxNumSeqs, maxWaiting, kvCapacityTokens, noiseSigma } = params;

  // Waiting queue: an array with a moving head (amortised O(1) dequeue); aborted entries are skipped lazily.
  let queue: Seq[] = [];
  let head = 0;
  let waitingCount = 0;
  const running = new Map<number, Seq>();
  const all = new Map<number, Seq>();
  // prefill end times, earliest first (at most maxNumSeqs entries)
  const prefills = new MinHeap<Seq>((a, b) => a.prefillEnd < b.prefillEnd);
  /** end of the decode iteration in progress; its members are the running sequences in phase 'decode' */
  let stepEnd: number | undefined;
  const everyToken = options.tokenEvents !== 'ends';
  let reserved = 0;
  let held = 0;
  let now = -Infinity;

  const noise = (): number => lognormalFactor(random, noiseSigma);

  const release = (s: Seq): void => {
    running.delete(s.id);
    all.delete(s.id);
    reserved -= s.inputTokens + s.outputTokens;
    held -= s.inputTokens + s.produced;
  };

  const finish = (s: Seq, t: number, reason: FinishReason, out: EngineEvent[]): void => {
    release(s);
    out.push({ kind: 'finished', id: s.id, t, reason, outputTokens: s.produced });
  };

  const emitToken = (s: Seq, t: number, out: EngineEvent[]): void => {
    if (everyToken || s.produced === 0 || s.produced + 1 >= s.outputTokens) out.push({ kind: 'token', id: s.id, t, index: s.produced });
    s.produced += 1;
    held += 1;
    if (s.produced >= s.outputTokens) finish(s, t, 'length', out);
  };

  // No per-iteration array: the members are marked by their phase (an iteration's work is O(batch), no allocation).
  const startStep = (t: number): void => {
    let members = 0;
    for (const s of running.values()) {
      if (s.phase === 'ready' || s.phase === 'decode') {
        s.phase = 'decode';
        members += 1;
      }
    }
    if (members === 0) return;
    stepEnd = t + (alpha + beta * running.size) * noise();
  };

  /** A scheduler step at time t: admit from the head of the queue while slots and KV room last. */
  const schedule = (t: number, out: EngineEvent[]): void => {
    const admitted: Seq[] = [];
    while (waitingCount > 0 && running.size < maxNumSeqs) {
      const s = queue[head];
      if (s === undefined) break;
      if (s.phase !== 'waiting') { head += 1; continue; }
      if (reserved + s.inputTokens + s.outputTokens > kvCapacityTokens) break;
      head += 1;
      waitingCount -= 1;
      running.set(s.id, s);
      reserved += s.inputTokens + s.outputTokens;
      held += s.inputTokens;
      admitted.push(s);
    }
    if (head > 1024 && head * 2 > queue.length) { queue = queue.slice(head); head = 0; }
    const n = running.size;
    for (const s of admitted) {
      out.push({ kind: 'scheduled', id: s.id, t });
      s.phase = 'prefill';
      s.prefillEnd = s.inputTokens === 0 ? t : t + (gamma + delta * s.inputTokens * n) * noise();
      prefills.push(s);
    }
  };

  const nextPrefill = (): Seq | undefined => {
    // Entries of aborted sequences stay in the heap until they surface.
    for (let top = prefills.peek(); top !== undefined; top = prefills.peek()) {
      if (running.get(top.id) === top && top.phase === 'prefill') return top;
      prefills.pop();
    }
    return undefined;
  };

  const nextEventTime = (): number | undefined => {
    const p = nextPrefill()?.prefillEnd;
    const d = stepEnd;
    if (p === undefined) return d;
    return d === undefined ? p : Math.min(p, d);
  };

  const completePrefill = (s: Seq, out: EngineEvent[]): void => {
    prefills.pop();
    const t = s.prefillEnd;
    s.phase = 'ready';
    emitToken(s, t, out);
    // Nothing decoding: a scheduler step now — after every prefill ending at this same instant, so that they all
    // join the same iteration.
    if (stepEnd === undefined && !(nextPrefill()?.prefillEnd === t)) {
      schedule(t, out);
      startStep(t);
    }
  };

  const completeStep = (out: EngineEvent[]): void => {
    if (stepEnd === undefined) return;
    const end = stepEnd;
    stepEnd = undefined;
    // Deleting the current entry while iterating a Map is safe: finished sequences leave as they finish.
    for (const s of running.values()) if (s.phase === 'decode') emitToken(s, end, out);
    schedule(end, out);
    startStep(end);
  };

  const tick = (t: number): void => {
    if (t < now) throw new RangeError(`time went backwards: ${t} after ${now}`);
    now = t;
  };

  return {
    submit(t, req) {
      const out = this.advance(t);
      const { id, inputTokens: i, outputTokens: o } = req;
      if (all.has(id)) throw new RangeError(`request id ${id} is already in the engine`);
      if (!Number.isInteger(i) || !Number.isInteger(o) || i < 0 || o < 1 || i + o > EngineLimits.maxTokens) {
        throw new RangeError(`token counts must be whole numbers with input ≥ 0, output ≥ 1, input + output ≤ ${EngineLimits.maxTokens}; got ${i}, ${o}`);
      }
      if (i + o > kvCapacityTokens) {
        out.push({ kind: 'rejected', id, t, why: 'too-long' });
        return out;
      }
      if (waitingCount >= maxWaiting) {
        out.push({ kind: 'rejected', id, t, why: 'queue-full' });
        return out;
      }
      const s: Seq = { id, inputTokens: i, outputTokens: o, phase: 'waiting', produced: 0, prefillEnd: 0 };
      all.set(id, s);
      queue.push(s);
      waitingCount += 1;
      if (stepEnd === undefined) {
        schedule(t, out);
        startStep(t);
      }
      return out;
    },

    advance(t) {
      tick(t);
      const out: EngineEvent[] = [];
      for (;;) {
        const p = nextPrefill();
        const d = stepEnd;
        if (p !== undefined && p.prefillEnd <= t && (d === undefined || p.prefillEnd <= d)) completePrefill(p, out);
        else if (d !== undefined && d <= t) completeStep(out);
        else break;
      }
      return out;
    },

    abort(t, id) {
      const out = this.advance(t);
      const s = all.get(id);
      if (s === undefined) return out;
      if (s.phase === 'waiting') {
        s.phase = 'gone'; // the queue skips it when it reaches the head
        waitingCount -= 1;
        all.delete(id);
        out.push({ kind: 'finished', id, t, reason: 'abort', outputTokens: 0 });
        return out;
      }
      finish(s, t, 'abort', out);
      // A freed slot is filled at the next scheduler step; when nothing decodes, that step is now.
      if (stepEnd === undefined) {
        schedule(t, out);
        startStep(t);
      }
      return out;
    },

    nextEventTime,

    state() {
      return { running: running.size, waiting: waitingCount, kvTokens: held, kvUsage: held / kvCapacityTokens };
    },
  };
}
