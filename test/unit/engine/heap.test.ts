import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinHeap } from '../../../src/engine/heap.js';
import { seededRandom } from '../../../src/engine/random.js';

test('MinHeap: random pushes and pops come out in the order a sort gives, ties in the order `less` sets', () => {
  const r = seededRandom(11);
  for (let run = 0; run < 50; run++) {
    // few distinct keys, so ties are common; `less` breaks them by insertion number
    const heap = new MinHeap<{ key: number; n: number }>((a, b) => a.key < b.key || (a.key === b.key && a.n < b.n));
    const model: { key: number; n: number }[] = [];
    let n = 0;
    for (let op = 0; op < 200; op++) {
      if (r() < 0.6) {
        const x = { key: Math.floor(r() * 8), n: n++ };
        heap.push(x);
        model.push(x);
        model.sort((a, b) => a.key - b.key || a.n - b.n);
      } else {
        assert.equal(heap.pop(), model.shift());
      }
      assert.equal(heap.size, model.length);
      assert.equal(heap.peek(), model[0]);
    }
  }
  assert.equal(new MinHeap<number>((a, b) => a < b).pop(), undefined);
});
