// Solver-facing types. They are inferred from the zod schemas in config/schema.ts (type-only: nothing of zod
// reaches the pure core at run time).
export type {
  Accelerator, ModelTarget, ServiceClass, PerfProfile, Load, CurrentAllocation, Server, SaturationPolicy,
  AnalyzerKind, Algorithm, OptimizerOptions, Capacity, System,
} from '../config/schema.js';
