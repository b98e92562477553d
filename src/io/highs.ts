// MILP backend: HiGHS compiled to WebAssembly (the `highs` package), a maintained branch-and-cut solver.
import highsModule from 'highs';
import type { MilpBackend, MilpSolution } from '../solver/exact.js';

export interface HighsOptions {
  /** wall-clock limit per MILP, seconds */
  readonly timeLimitSec?: number;
}

// highs ships ESM code but CommonJS-typed declarations: at run time the default import is the loader itself,
// while TypeScript sees the loader under `.default`. Accept both shapes.
type Loader = typeof highsModule.default;
const highsLoader: Loader = (highsModule as unknown as { default?: Loader }).default ?? (highsModule as unknown as Loader);

export async function createHighsBackend(opts: HighsOptions = {}): Promise<MilpBackend> {
  const highs = await highsLoader();
  return {
    solve(lp: string): MilpSolution {
      // mip_rel_gap 0: the point of this solver is the proven optimum, not HiGHS's default 1e-4 gap.
      const r = highs.solve(lp, { mip_rel_gap: 0, time_limit: opts.timeLimitSec ?? 10, output_flag: false });
      const values: Record<string, number> = {};
      for (const [name, col] of Object.entries(r.Columns)) {
        const primal = (col as { Primal?: unknown }).Primal;
        if (typeof primal === 'number') values[name] = primal;
      }
      if (r.Status === 'Optimal') return { status: 'optimal', values };
      const hasSolution = Object.keys(values).length > 0 && r.Status !== 'Infeasible';
      return { status: hasSolution ? 'feasible' : 'none', values };
    },
  };
}
