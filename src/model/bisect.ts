// Bisection of a monotone function for f(x) = target on [lo, hi], as upstream's analyzer does it but with the
// correct relative tolerance |f(x) − target| / |target| ≤ tol (upstream QA v0.1.0 tested |x − target/target|).

export const BisectionTolerance = 1e-6;
export const BisectionMaxIterations = 100;

/** -1: target below f's range (unattainable); 0: found; +1: target above the range (never binding). */
export type BisectIndicator = -1 | 0 | 1;

export interface BisectResult {
  readonly x: number;
  readonly indicator: BisectIndicator;
}

export function bisect(f: (x: number) => number, lo: number, hi: number, target: number): BisectResult {
  const within = (v: number): boolean => Math.abs(v - target) <= BisectionTolerance * Math.abs(target);
  const fLo = f(lo);
  if (within(fLo)) return { x: lo, indicator: 0 };
  const fHi = f(hi);
  if (within(fHi)) return { x: hi, indicator: 0 };
  const increasing = fLo <= fHi;
  if (target < Math.min(fLo, fHi)) return { x: increasing ? lo : hi, indicator: -1 };
  if (target > Math.max(fLo, fHi)) return { x: increasing ? hi : lo, indicator: 1 };
  let a = lo;
  let b = hi;
  let x = (a + b) / 2;
  for (let i = 0; i < BisectionMaxIterations; i++) {
    x = (a + b) / 2;
    const fx = f(x);
    if (within(fx)) return { x, indicator: 0 };
    if (increasing === target < fx) b = x;
    else a = x;
  }
  return { x, indicator: 0 };
}
