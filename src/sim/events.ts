// The simulator's timeline: a min-heap of timed callbacks (pod start-ups, policy ticks, samples). Ties run in the
// order they were scheduled, so a run is reproducible whatever the heap's internal order.
import { MinHeap } from '../engine/heap.js';

interface Entry {
  readonly t: number;
  readonly seq: number;
  readonly run: (t: number) => void;
}

const before = (a: Entry, b: Entry): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

export class EventQueue {
  readonly #heap = new MinHeap<Entry>(before);
  #seq = 0;

  get size(): number {
    return this.#heap.size;
  }

  /** time of the next callback; Infinity when none */
  nextTime(): number {
    return this.#heap.peek()?.t ?? Infinity;
  }

  at(t: number, run: (t: number) => void): void {
    this.#heap.push({ t, seq: this.#seq++, run });
  }

  /** Removes and returns the next callback. */
  pop(): Entry | undefined {
    return this.#heap.pop();
  }
}
