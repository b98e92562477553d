// Exact limited-capacity solver (beyond upstream; R8). Priority groups are solved in order, highest first; in each
// group a MILP picks at most one candidate per server so that (1) as many servers as possible are served and
// (2) among those choices the total value (cost plus switching surcharge, the quantity greedy and unlimited
// minimise) is least. The MILP itself runs in a backend (HiGHS); this module only writes and reads models.
import type { Candidate, ServerCandidates } from './candidates.js';
import type { Assignment, Available } from './greedy.js';
import { bestEffort, solveUnlimited, unitsOf } from './greedy.js';
import type { Plan } from './plan.js';
import type { Prepared } from './solve.js';
import { assemble, availableOf, solvePrepared } from './solve.js';

export interface MilpSolution {
  /** optimal: proven; feasible: a solution without proof (time limit); none: infeasible or no solution found */
  readonly status: 'optimal' | 'feasible' | 'none';
  readonly values: Readonly<Record<string, number>>;
}

/** Solves a CPLEX-LP-format model (binary variables only). */
export interface MilpBackend {
  solve(lp: string): MilpSolution;
}

export interface ExactResult {
  readonly plan: Plan;
  /** the greedy plan for the same input */
  readonly greedy: Plan;
  /** greedy cost − exact cost (cents/hour) */
  readonly gap: number;
  /** every MILP was solved to proven optimality */
  readonly optimal: boolean;
  /** the greedy plan was better on the lexicographic objective (only possible without proven optimality) */
  readonly usedGreedy: boolean;
  readonly milpSolves: number;
}

interface Column {
  readonly name: string;
  readonly sc: ServerCandidates;
  readonly c: Candidate;
}

const num = (v: number): string => {
  // Plain decimal with enough digits; the LP reader wants no locale and no NaN.
  const s = Number.isInteger(v) ? String(v) : v.toPrecision(15);
  return s.includes('e') ? v.toFixed(12) : s;
};

const term = (coef: number, name: string): string => `${coef < 0 ? '-' : '+'} ${num(Math.abs(coef))} ${name}`;

function writeModel(
  columns: readonly Column[],
  group: readonly ServerCandidates[],
  available: Available,
  objective: 'count' | 'value',
  minServed: number | 'all',
): string {
  const lines: string[] = [objective === 'count' ? 'Maximize' : 'Minimize'];
  const obj = columns.map((col) => term(objective === 'count' ? 1 : col.c.value, col.name));
  lines.push(` obj: ${obj.length > 0 ? obj.join(' ') : '0 x_none'}`, 'Subject To');
  group.forEach((sc, i) => {
    const mine = columns.filter((col) => col.sc === sc).map((col) => term(1, col.name));
    if (mine.length > 0) lines.push(` one${i}: ${mine.join(' ')} ${minServed === 'all' ? '=' : '<='} 1`);
  });
  const types = [...new Set(columns.map((col) => col.c.type))].sort();
  types.forEach((type, k) => {
    const use = columns.filter((col) => col.c.type === type && unitsOf(col.c) > 0).map((col) => term(unitsOf(col.c), col.name));
    if (use.length > 0) lines.push(` cap${k}: ${use.join(' ')} <= ${num(available.get(type) ?? 0)}`);
  });
  if (typeof minServed === 'number' && minServed > 0) lines.push(` served: ${columns.map((col) => term(1, col.name)).join(' ')} >= ${minServed}`);
  lines.push('Binary', ...columns.map((col) => ` ${col.name}`), 'End');
  return lines.join('\n');
}

interface GroupOutcome {
  readonly assignments: Assignment[];
  readonly unallocated: ServerCandidates[];
  readonly optimal: boolean;
  readonly solves: number;
}

function solveGroup(group: readonly ServerCandidates[], available: Available, backend: MilpBackend): GroupOutcome {
  // Candidates that cannot fit even alone are left out of the model.
  const columns: Column[] = [];
  group.forEach((sc, i) => {
    sc.candidates.forEach((c, j) => {
      if (unitsOf(c) <= (available.get(c.type) ?? 0)) columns.push({ name: `x${i}_${j}`, sc, c });
    });
  });
  let solves = 0;
  const run = (lp: string): MilpSolution => {
    solves += 1;
    return backend.solve(lp);
  };
  const servable = new Set(columns.map((col) => col.sc)).size;
  let solution = servable === group.length ? run(writeModel(columns, group, available, 'value', 'all')) : undefined;
  let optimal = true;
  if (solution?.status !== 'optimal' && solution?.status !== 'feasible') {
    const count = run(writeModel(columns, group, available, 'count', 0));
    const best = count.status === 'none' ? 0 : columns.filter((col) => (count.values[col.name] ?? 0) > 0.5).length;
    optimal = count.status === 'optimal';
    solution = run(writeModel(columns, group, available, 'value', best));
  }
  optimal &&= solution.status === 'optimal';
  const chosen = solution.status === 'none' ? [] : columns.filter((col) => (solution.values[col.name] ?? 0) > 0.5);
  const assignments: Assignment[] = [];
  const served = new Set<ServerCandidates>();
  for (const col of chosen) {
    if (served.has(col.sc)) continue;
    const free = available.get(col.c.type) ?? 0;
    const units = unitsOf(col.c);
    if (units > free) continue; // never trust a backend beyond the capacity it was given
    if (units > 0) available.set(col.c.type, free - units);
    served.add(col.sc);
    assignments.push({ entry: col.sc, candidate: col.c, replicas: col.c.numReplicas, bestEffort: false });
  }
  return { assignments, unallocated: group.filter((sc) => !served.has(sc)), optimal, solves };
}

/**
 * Lexicographic score: servers fully served per priority (higher priority first), then the least total value of
 * all allocations, best effort included (value is what every algorithm minimises; without current allocations it
 * is proportional to cost). The MILP optimises the full allocations only, so best-effort leftovers can tip this.
 */
function better(a: Plan, b: Plan): boolean {
  const served = (p: Plan): Map<number, number> => {
    const m = new Map<number, number>();
    for (const x of p.allocations) if (!x.bestEffort) m.set(x.priority, (m.get(x.priority) ?? 0) + 1);
    return m;
  };
  const sa = served(a);
  const sb = served(b);
  for (const pr of [...new Set([...sa.keys(), ...sb.keys()])].sort((x, y) => x - y)) {
    const d = (sa.get(pr) ?? 0) - (sb.get(pr) ?? 0);
    if (d !== 0) return d > 0;
  }
  const value = (p: Plan): number => p.allocations.reduce((t, x) => t + x.value, 0);
  return value(a) < value(b) - 1e-9 * Math.max(1, Math.abs(value(b)));
}

export function solveExact(p: Prepared, backend: MilpBackend): ExactResult {
  const greedy = solvePrepared(p);
  const { options } = p.system;
  if (options.unlimited) {
    // Without capacity every server independently takes its best candidate: that is already optimal.
    const plan = assemble(p, solveUnlimited(p.servers), 'exact');
    return { plan, greedy, gap: greedy.totalCost - plan.totalCost, optimal: true, usedGreedy: false, milpSolves: 0 };
  }
  const available = availableOf(p.system);
  const withCandidates = p.servers
    .filter((sc) => sc.candidates.length > 0)
    .sort((a, b) => a.priority - b.priority || (a.server.name < b.server.name ? -1 : a.server.name > b.server.name ? 1 : 0));
  const groups: ServerCandidates[][] = [];
  for (const sc of withCandidates) {
    const last = groups[groups.length - 1];
    if (last?.[0]?.priority === sc.priority) last.push(sc);
    else groups.push([sc]);
  }
  const assignments: Assignment[] = [];
  const leftover: ServerCandidates[] = [];
  let optimal = true;
  let solves = 0;
  for (const group of groups) {
    const out = solveGroup(group, available, backend);
    assignments.push(...out.assignments);
    optimal &&= out.optimal;
    solves += out.solves;
    if (options.delayedBestEffort) leftover.push(...out.unallocated);
    else bestEffort(out.unallocated, options.saturationPolicy, available, assignments);
  }
  if (options.delayedBestEffort) bestEffort(leftover, options.saturationPolicy, available, assignments);
  const exact = assemble(p, assignments, 'exact');
  const usedGreedy = better(greedy, exact);
  const plan = usedGreedy ? { ...greedy, algorithm: 'exact' as const } : exact;
  return { plan, greedy, gap: greedy.totalCost - plan.totalCost, optimal, usedGreedy, milpSolves: solves };
}
