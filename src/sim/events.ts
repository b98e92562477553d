// The simulator's timeline: a min-heap of timed callbacks (pod start-ups, policy ticks, samples). Ties run in the
// order they were scheduled, so a run is reproducible whatever the heap's internal order.

interface Entry {
  readonly t: number;
  readonly seq: number;
  readonly run: (t: number) => void;
}

const before = (a: Entry, b: Entry): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

export class EventQueue {
  readonly #items: Entry[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  /** time of the next callback; Infinity when none */
  nextTime(): number {
    return this.#items[0]?.t ?? Infinity;
  }

  at(t: number, run: (t: number) => void): void {
    const a = this.#items;
    const e: Entry = { t, seq: this.#seq++, run };
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent];
      if (p === undefined || !before(e, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = e;
  }

  /** Removes and returns the next callback. */
  pop(): Entry | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last;
      const lv = a[l];
      const rv = a[r];
      if (lv !== undefined && before(lv, mv)) { m = l; mv = lv; }
      if (rv !== undefined && before(rv, mv)) { m = r; mv = rv; }
      if (m === i) break;
      a[i] = mv;
      i = m;
    }
    a[i] = last;
    return top;
  }
}
