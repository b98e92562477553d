// Open-loop load whose rate the test turns like a knob, sent by the load generator library (src/loadgen/runner.ts,
// what `inferno load` runs) to one URL (the HttpService in front of a Deployment's emulated pods). Arrivals are
// evenly spaced at the rate in force when each is planned, so a step in the rate shows up in the first gap after it.
import type { PlannedRequest, RunResult } from '../../../src/loadgen/runner.js';
import { runLoad } from '../../../src/loadgen/runner.js';

export class LoadKnob {
  #rate: number;
  readonly steps: { readonly at: number; readonly rate: number }[] = [];
  readonly #stop = new AbortController();
  #run: Promise<RunResult> | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;

  constructor(rate: number, tokens: { readonly input: number; readonly output: number }) {
    if (!(rate > 0)) throw new RangeError('the rate must be positive');
    this.#rate = rate;
    this.inputTokens = tokens.input;
    this.outputTokens = tokens.output;
  }

  get rate(): number {
    return this.#rate;
  }

  /** Changes the rate (req/s, > 0); returns when (Unix ms). */
  set(rate: number): number {
    if (!(rate > 0) || rate > 1000) throw new RangeError(`rate ${rate} req/s is outside (0, 1000]`);
    this.#rate = rate;
    const at = Date.now();
    this.steps.push({ at, rate });
    return at;
  }

  *#plan(): Generator<PlannedRequest> {
    // bounded: at most a day of arrivals even at the top rate
    for (let t = 0, i = 0; i < 1_000_000 && t < 86_400; i++) {
      yield { t, model: undefined, inputTokens: this.inputTokens, outputTokens: this.outputTokens };
      t += 1 / this.#rate;
    }
  }

  start(url: string): void {
    this.steps.push({ at: Date.now(), rate: this.#rate });
    this.#run = runLoad({
      targets: [url], endpoint: 'completions', plan: this.#plan(), durationS: 86_400, maxInFlight: 2000,
      timeoutMs: 60_000, drainMs: 1000, signal: this.#stop.signal,
    });
  }

  /** Stops sending; resolves with the run's result (undefined when it never started or failed). */
  async stop(): Promise<RunResult | undefined> {
    this.#stop.abort();
    return this.#run?.catch(() => undefined);
  }
}
