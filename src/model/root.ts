// Root of a monotone function for f(x) = target on [lo, hi], with the contract of upstream's bisection
// (model-and-solver.md §3.1–3.2): the same end checks and indicators, |f(x) − target| ≤ 1e-6·|target| at the x
// returned, at most 100 steps. Brent's method (inverse quadratic interpolation and secant steps, bisection whenever
// they do not shrink the bracket fast enough) converges superlinearly, so it goes on to RootTolerance for about one
// more evaluation: where f is flat (a target barely above f(lo)) the 1e-6 band of x is wide, and where in it a
// search stops would otherwise decide replica counts. ~5 evaluations per root where bisection needs ~30.
import type { BisectResult } from './bisect.js';
import { BisectionMaxIterations, BisectionTolerance } from './bisect.js';

/** Relative tolerance on f the search stops at: well inside the contract's 1e-6. */
export const RootTolerance = 1e-10;

/** Steps 1–4 of §3.1 from the end values: a settled result, or undefined when the root lies inside. */
export function checkEnds(lo: number, hi: number, fLo: number, fHi: number, target: number): BisectResult | undefined {
  const tol = BisectionTolerance * Math.abs(target);
  if (Math.abs(fLo - target) <= tol) return { x: lo, indicator: 0 };
  if (Math.abs(fHi - target) <= tol) return { x: hi, indicator: 0 };
  // A constant f (e.g. ITL with a batch of 1) may differ at its ends by rounding only: that is non-decreasing.
  const increasing = fLo - fHi <= 1e-12 * Math.max(Math.abs(fLo), Math.abs(fHi));
  if (target < Math.min(fLo, fHi)) return { x: increasing ? lo : hi, indicator: -1 };
  if (target > Math.max(fLo, fHi)) return { x: increasing ? hi : lo, indicator: 1 };
  // NaN ends compare false everywhere: not bracketed, say so rather than iterate on NaN.
  if (!(fLo <= target || fHi <= target)) return { x: lo, indicator: -1 };
  return undefined;
}

/**
 * @param ends f(lo) and f(hi) when the caller already has them (they are shared between targets)
 */
export function findRoot(f: (x: number) => number, lo: number, hi: number, target: number, ends?: { fLo: number; fHi: number }): BisectResult {
  const fLo = ends?.fLo ?? f(lo);
  const fHi = ends?.fHi ?? f(hi);
  const settled = checkEnds(lo, hi, fLo, fHi, target);
  if (settled !== undefined) return settled;
  const tol = RootTolerance * Math.abs(target);
  // Brent (zeroin): b is the best estimate, c the other end of the bracket, a the previous b.
  let a = lo;
  let fa = fLo - target;
  let b = hi;
  let fb = fHi - target;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let i = 0; i < BisectionMaxIterations; i++) {
    if (fb > 0 === fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    if (Math.abs(fb) <= tol) return { x: b, indicator: 0 };
    const xtol = 2 * Number.EPSILON * Math.abs(b);
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= xtol) return { x: b, indicator: 0 }; // the bracket is down to adjacent doubles
    if (Math.abs(e) >= xtol && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(xtol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > xtol ? d : m > 0 ? xtol : -xtol;
    fb = f(b) - target;
  }
  return { x: b, indicator: 0 };
}
