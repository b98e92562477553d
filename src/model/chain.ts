// Birth–death chain of a batching server: states j = 0..K requests in system, arrivals at rate λ blocked at K,
// departures at μ_min(j,N). The service time of a batch of k is linear, τ(k) = a + b·k, so μ_k = k/τ(k) rises with k
// and the weights p_j are unimodal with their peak where μ_j crosses λ. We walk outwards from the peak
// (multiplications only, every weight ≤ 1, so nothing overflows), stop once the rest is provably below double
// precision, and sum the geometric tail beyond N in closed form. Cost: the states that carry mass, not K.

export interface ServiceCurve {
  /** τ(k) = a + b·k ms for a batch of k requests (a + b > 0, both ≥ 0) */
  readonly a: number;
  readonly b: number;
  /** N, the batch size limit */
  readonly n: number;
}

export interface ChainResult {
  /** throughput, req/ms */
  readonly throughput: number;
  /** mean number in system */
  readonly inSystem: number;
  /** mean number in service (in the batch) */
  readonly inService: number;
  /** probability the system is empty */
  readonly p0: number;
  /** probability the system is full (arrivals blocked) */
  readonly pFull: number;
}

/** Below this share of the running sum, the rest of a walk cannot change a double. */
const Negligible = 2 ** -60;

/** Series threshold for the truncated-geometric mean (see geometricMean). */
const SeriesBelow = 1e-3;

/**
 * Mean of k over k = 1..t with weights ρ^k, q = ln ρ ≤ 0. Closed form 1 − t/expm1(−qt) + 1/expm1(−q), which
 * cancels as q → 0; there the series (t+1)/2 + q(t²−1)/12 − q³(t⁴−1)/720 is exact to double precision.
 */
function geometricMean(q: number, t: number): number {
  const x = -q * t;
  if (x < SeriesBelow) return (t + 1) / 2 + (q * (t * t - 1)) / 12 - (q * q * q * (t * t * t * t - 1)) / 720;
  return 1 - t / Math.expm1(x) + 1 / Math.expm1(-q);
}

/** Σ_{k=1..t} ρ^k for q = ln ρ ≤ 0. */
function geometricSum(q: number, t: number): number {
  if (q === 0) return t;
  return (Math.exp(q) * Math.expm1(q * t)) / Math.expm1(q);
}

/**
 * @param lambda arrival rate, req/ms (> 0)
 * @param curve the batch service time τ(k) = a + b·k and the batch limit N
 * @param states K, the occupancy bound (≥ N)
 */
export function solveChain(lambda: number, curve: ServiceCurve, states: number): ChainResult {
  const { a, b, n } = curve;
  const la = lambda * a;
  const lb = lambda * b;
  // Step up j−1 → j multiplies by λ/μ_j = λb + λa/j, falling with j; the peak is the last j where it is ≥ 1.
  const peak = lb >= 1 ? n : Math.min(n, Math.floor(la / (1 - lb)));

  let sum = 1; // the peak's weight
  let sumJ = peak;
  // Down from the peak: j → j−1 multiplies by μ_j/λ = j/(λa + λb·j) ≤ 1, falling as j falls.
  let w0 = peak === 0 ? 1 : 0;
  let t = 1;
  for (let j = peak; j >= 1; j--) {
    const ratio = j / (la + lb * j);
    t *= ratio;
    sum += t;
    sumJ += (j - 1) * t;
    if (j === 1) w0 = t;
    else if (ratio < 1 && (t * ratio) / (1 - ratio) <= Negligible * sum) break;
  }
  // Up from the peak to N; the tail beyond N continues with the last (smallest) ratio, so the same bound covers it.
  t = 1;
  let reachedN = peak === n;
  for (let j = peak + 1; j <= n; j++) {
    const ratio = lb + la / j;
    t *= ratio;
    sum += t;
    sumJ += j * t;
    if (j === n) {
      reachedN = true;
      break;
    }
    if (ratio < 1) {
      const rest = (t * ratio) / (1 - ratio);
      if (rest <= Negligible * sum && rest * (j + 1 / (1 - ratio)) <= Negligible * sumJ) break;
    }
  }
  const wN = reachedN ? t : 0;
  const prefixSum = sum;
  const prefixJ = sumJ;

  // Geometric tail j = N+1..K with ratio r = λ/μ_N.
  const tail = states - n;
  let tailSum = 0;
  let tailJ = 0;
  let wFull = wN;
  let scale = 1; // the prefix is rescaled when the tail outweighs it
  if (tail > 0 && wN > 0) {
    const q = Math.log(lb + la / n);
    if (q <= 0) {
      const g0 = geometricSum(q, tail);
      tailSum = wN * g0;
      tailJ = wN * (n * g0 + g0 * geometricMean(q, tail));
      wFull = wN * Math.exp(q * tail);
    } else {
      // r > 1: the largest weight is at K. Measure everything relative to state K: the tail is Σ_{m=0..T−1} r^−m
      // with state K − m, the prefix shrinks by 1/(w_N·r^T).
      scale = Math.exp(-q * tail) / wN;
      const g0 = 1 + geometricSum(-q, tail - 1);
      const g1 = tail > 1 ? geometricSum(-q, tail - 1) * geometricMean(-q, tail - 1) : 0;
      tailSum = g0;
      tailJ = states * g0 - g1;
      wFull = 1;
    }
  }
  const total = prefixSum * scale + tailSum;
  const pFull = (reachedN ? wFull : 0) / total;
  return {
    throughput: lambda * (1 - pFull),
    inSystem: (prefixJ * scale + tailJ) / total,
    inService: (prefixJ * scale + n * tailSum) / total,
    p0: (w0 * scale) / total,
    pFull,
  };
}
