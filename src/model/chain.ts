// Birth–death chain of a batching server: states j = 0..K requests in system, arrivals at rate λ blocked at K,
// departures at μ_min(j,N). Computed in log space and scaled by the largest term, so it neither overflows nor
// loses the tail at any state count (upstream rescaled by MaxFloat64/K after the fact).

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

/**
 * @param lambda arrival rate, req/ms (> 0)
 * @param logMu logMu[n] = ln μ_n for n = 1..N (index 0 unused)
 * @param states K, the occupancy bound (≥ N)
 */
export function solveChain(lambda: number, logMu: readonly number[], states: number): ChainResult {
  const n = logMu.length - 1;
  const logLambda = Math.log(lambda);
  // Unnormalised log p_j for the batch-filling prefix j = 0..N.
  const lp = new Float64Array(n + 1);
  let maxLog = 0;
  for (let j = 1; j <= n; j++) {
    lp[j] = (lp[j - 1] ?? 0) + logLambda - (logMu[j] ?? 0);
    if ((lp[j] ?? 0) > maxLog) maxLog = lp[j] ?? 0;
  }
  const lpN = lp[n] ?? 0;
  const logR = logLambda - (logMu[n] ?? 0); // beyond N every step multiplies by r = λ/μ_N
  const tail = states - n;
  const lpK = lpN + tail * logR;
  if (lpK > maxLog) maxLog = lpK;

  let prefixSum = 0;
  let prefixJ = 0;
  for (let j = 0; j <= n; j++) {
    const t = Math.exp((lp[j] ?? 0) - maxLog);
    prefixSum += t;
    prefixJ += j * t;
  }
  // Geometric tail j = N+1..K. Walk from its larger end so terms only shrink (underflow of negligible terms is harmless).
  let tailSum = 0;
  let tailJ = 0;
  let tFull: number;
  if (tail === 0) {
    tFull = Math.exp(lpN - maxLog);
  } else if (logR <= 0) {
    const r = Math.exp(logR);
    let t = Math.exp(lpN - maxLog);
    for (let j = n + 1; j <= states; j++) {
      t *= r;
      tailSum += t;
      tailJ += j * t;
    }
    tFull = t;
  } else {
    const rInv = Math.exp(-logR);
    let t = Math.exp(lpK - maxLog);
    tFull = t;
    for (let j = states; j > n; j--) {
      tailSum += t;
      tailJ += j * t;
      t *= rInv;
    }
  }
  const total = prefixSum + tailSum;
  const pFull = tFull / total;
  return {
    throughput: lambda * (1 - pFull),
    inSystem: (prefixJ + tailJ) / total,
    inService: (prefixJ + n * tailSum) / total,
    p0: Math.exp(-maxLog) / total,
    pFull,
  };
}

export interface Times {
  readonly chain: ChainResult;
  /** mean response time T = L/X (Little's law), ms */
  readonly response: number;
  /** mean time in service S = L_s/X, ms */
  readonly service: number;
  /** mean queueing wait W = T − S, ms */
  readonly wait: number;
}

export function solveTimes(lambda: number, logMu: readonly number[], states: number): Times {
  const chain = solveChain(lambda, logMu, states);
  const response = chain.inSystem / chain.throughput;
  const service = chain.inService / chain.throughput;
  return { chain, response, service, wait: Math.max(response - service, 0) };
}
