// Seeded randomness for the engine, the emulator and the load generator: the same seed gives the same run, and a
// failing test names its seed. Pure: no Math.random, no clocks.

export type Random = () => number;

/** mulberry32: a small, fast 32-bit generator, uniform in [0, 1); plenty for arrival times and noise. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform in (0, 1]: safe under log(). */
export const openUnit = (r: Random): number => 1 - r();

/** Exponential with the given mean. */
export const exponential = (r: Random, mean: number): number => -mean * Math.log(openUnit(r));

/** Standard normal (Box–Muller; one of the pair is dropped to keep the generator stateless). */
export const normal = (r: Random): number => Math.sqrt(-2 * Math.log(openUnit(r))) * Math.cos(2 * Math.PI * r());

/**
 * A multiplicative noise factor with mean 1: lognormal exp(σZ − σ²/2). σ = 0 gives exactly 1 (and draws nothing,
 * so a noiseless run does not depend on the generator at all).
 */
export const lognormalFactor = (r: Random, sigma: number): number => (sigma === 0 ? 1 : Math.exp(sigma * normal(r) - (sigma * sigma) / 2));
