export { solve, solvePrepared, prepare, assemble, availableOf } from './solve.js';
export type { Prepared } from './solve.js';
export { solveExact } from './exact.js';
export type { MilpBackend, MilpSolution, ExactResult } from './exact.js';
export { createAnalyzerCache, batchSize } from './candidates.js';
export type { AnalyzerCache, Candidate, Rejection, ServerCandidates } from './candidates.js';
export type { Plan, Allocation, Unallocated, TypeUsage, AllocationChange } from './plan.js';
export { transitionPenalty, NoAllocation } from './penalty.js';
