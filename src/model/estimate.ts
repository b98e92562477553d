// Decode parameters from two ITL measurements (WVA parameter-estimation tutorial, C12): ITL at concurrency 1 and at
// max-num-seqs N lie on dec(n) = α + β·n, so β = (ITL_N − ITL_1)/(N − 1) and α = ITL_1 − β.

export interface DecodeFit {
  readonly alpha: number;
  readonly beta: number;
}

/** @param itlAtOne ms at concurrency 1; @param itlAtN ms at concurrency `n` (> 1) */
export function fitDecode(itlAtOne: number, itlAtN: number, n: number): DecodeFit | undefined {
  if (!(n > 1) || !(itlAtOne > 0) || !(itlAtN >= itlAtOne)) return undefined;
  const beta = (itlAtN - itlAtOne) / (n - 1);
  return { alpha: itlAtOne - beta, beta };
}
