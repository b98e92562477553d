// Server.Calculate (§7.2): every feasible candidate of every server, ranked, with the reasons of the rest.
import type { Accelerator, ModelTarget, Server, ServiceClass, System } from '../domain/types.js';
import type { CandidateContext, Rejection, ServerCandidates } from './candidates.js';
import { candidateFor, compareCandidates } from './candidates.js';
import type { Candidate } from './candidates.js';

/** Priority of a server whose class is unknown: it is never allocated anyway, but sorts last. */
const LowestPriority = 100;

/** Every candidate of one server on the accelerators it may use, and why the others were rejected. */
function candidatesOf(server: Server, target: ModelTarget, accelerators: ReadonlyMap<string, Accelerator>, ctx: CandidateContext): { candidates: Candidate[]; rejections: Rejection[] } {
  const candidates: Candidate[] = [];
  const rejections: Rejection[] = [];
  const keep = server.keepAccelerator && server.current !== undefined ? server.current.accelerator : undefined;
  for (const profile of server.profiles) {
    if (keep !== undefined && profile.accelerator !== keep) continue;
    const acc = accelerators.get(profile.accelerator);
    if (acc === undefined) {
      rejections.push({ accelerator: profile.accelerator, reason: `accelerator "${profile.accelerator}" is not in the catalog` });
      continue;
    }
    const out = candidateFor(server, acc, profile, target, ctx);
    if (out.ok) candidates.push(out.candidate);
    else rejections.push({ accelerator: profile.accelerator, reason: out.reason, ...(out.unreachable === true ? { unreachable: true } : {}) });
  }
  if (keep !== undefined && candidates.length === 0 && rejections.length === 0) {
    rejections.push({ accelerator: keep, reason: `keepAccelerator is set but there is no profile for the current accelerator "${keep}"` });
  }
  return { candidates, rejections };
}

function serverProblem(server: Server, cls: ServiceClass | undefined, target: ModelTarget | undefined): string | undefined {
  if (cls === undefined) return `service class "${server.class}" does not exist`;
  if (target === undefined) return `service class "${server.class}" has no target for model "${server.model}"`;
  if (server.profiles.length === 0) return `model "${server.model}" has no performance profile`;
  return undefined;
}

export function evaluateServers(system: System, ctx: CandidateContext): ServerCandidates[] {
  const accelerators = new Map<string, Accelerator>(system.accelerators.map((a) => [a.name, a]));
  const classes = new Map<string, ServiceClass>(system.serviceClasses.map((c) => [c.name, c]));
  return system.servers.map((server) => {
    const cls = classes.get(server.class);
    const target = cls?.targets.find((t) => t.model === server.model);
    const problem = serverProblem(server, cls, target);
    const found = problem === undefined && target !== undefined
      ? candidatesOf(server, target, accelerators, ctx)
      : { candidates: [], rejections: [{ accelerator: '*', reason: problem ?? 'no target' }] };
    // maxReplicas is a hard cap: a capped candidate misses the SLO, so it is only a fallback when nothing fits.
    const fitting = found.candidates.filter((c) => !c.capped);
    const rejections = [...found.rejections];
    for (const c of found.candidates) {
      if (c.capped && fitting.length > 0) {
        rejections.push({ accelerator: c.accelerator, reason: `needs ${c.neededReplicas} replicas, more than maxReplicas ${server.maxReplicas ?? 0}` });
      }
    }
    const ranked = (fitting.length > 0 ? fitting : found.candidates).sort(compareCandidates);
    return { server, priority: cls?.priority ?? LowestPriority, target, candidates: ranked, rejections };
  });
}
