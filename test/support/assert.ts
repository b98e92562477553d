import assert from 'node:assert/strict';

/** Relative closeness; absolute `floor` for values near zero. */
export function assertClose(actual: number, expected: number, rel = 1e-4, label = '', floor = 1e-9): void {
  const tol = Math.max(Math.abs(expected) * rel, floor);
  assert.ok(Math.abs(actual - expected) <= tol, `${label} expected ${expected} ± ${tol}, got ${actual}`);
}

/** Deterministic PRNG (mulberry32) for property tests: a failure names its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A map key as one RFC 6901 JSON Pointer segment: `~` first, then `/`. */
export const pointerKey = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
