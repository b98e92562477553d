import assert from 'node:assert/strict';

/** Relative closeness; absolute `floor` for values near zero. */
export function assertClose(actual: number, expected: number, rel = 1e-4, label = '', floor = 1e-9): void {
  const tol = Math.max(Math.abs(expected) * rel, floor);
  assert.ok(Math.abs(actual - expected) <= tol, `${label} expected ${expected} ± ${tol}, got ${actual}`);
}

/** Deterministic PRNG for property tests (the engine's mulberry32): a failure names its seed. */
export { seededRandom as rng } from '../../src/engine/random.js';

/** A map key as one RFC 6901 JSON Pointer segment: `~` first, then `/`. */
export const pointerKey = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
