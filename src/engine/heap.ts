// A binary min-heap ordered by `less` (strict): the engine's prefill completions and the simulator's timeline.
// Equal items leave in no particular order; a caller that needs ties in a fixed order puts that order into `less`.
export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(x: T): void {
    const a = this.#items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent];
      if (p === undefined || !this.#less(x, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = x;
  }

  pop(): T | undefined {
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
      if (lv !== undefined && this.#less(lv, mv)) { m = l; mv = lv; }
      if (rv !== undefined && this.#less(rv, mv)) { m = r; mv = rv; }
      if (m === i) break;
      a[i] = mv;
      i = m;
    }
    a[i] = last;
    return top;
  }
}
