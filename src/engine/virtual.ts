// Drives an engine in virtual time through a list of arrivals and reports what each request saw: no clock, no
// timers, as fast as the CPU allows. Used by tests (capacity estimates, engine properties) and, later, by the
// discrete-event simulator.
import type { Engine } from './engine.js';

export interface VirtualArrival {
  /** ms */
  readonly t: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface VirtualRecord {
  readonly arrival: number;
  /** undefined: still waiting at the end, or rejected */
  scheduled?: number;
  firstToken?: number;
  lastToken?: number;
  finished?: number;
  tokens: number;
  rejected: boolean;
}

/** Runs arrivals (sorted by t) until every request has finished or `until` (ms) is reached. */
export function runVirtual(engine: Engine, arrivals: readonly VirtualArrival[], until = Infinity): VirtualRecord[] {
  const records: VirtualRecord[] = arrivals.map((a) => ({ arrival: a.t, tokens: 0, rejected: false }));
  const apply = (events: ReturnType<Engine['advance']>): void => {
    for (const e of events) {
      const r = records[e.id];
      if (r === undefined) continue;
      if (e.kind === 'scheduled') r.scheduled = e.t;
      else if (e.kind === 'token') {
        if (e.index === 0) r.firstToken = e.t;
        r.lastToken = e.t;
        r.tokens += 1;
      } else if (e.kind === 'finished') r.finished = e.t;
      else r.rejected = true;
    }
  };
  let i = 0;
  for (;;) {
    const next = engine.nextEventTime();
    const a = arrivals[i];
    const ta = a?.t ?? Infinity;
    const t = Math.min(next ?? Infinity, ta);
    if (t === Infinity || t > until) break;
    if (a !== undefined && ta <= (next ?? Infinity)) {
      apply(engine.submit(ta, { id: i, inputTokens: a.inputTokens, outputTokens: a.outputTokens }));
      i += 1;
    } else {
      apply(engine.advance(t));
    }
  }
  if (until !== Infinity) apply(engine.advance(until));
  return records;
}
