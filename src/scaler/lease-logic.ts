// Leader election on a coordination.k8s.io/v1 Lease, the pure part: whether to create, renew, take or wait, and the
// spec to write. Same rules as client-go's leaderelection (tryAcquireOrRenew): a lease counts as expired when its
// record has not changed for leaseDurationSeconds *as observed on our own clock* since we first saw that version, so
// clock skew between replicas does not matter; the holder stops leading before anyone else may take over because
// its renewDeadline is shorter than the lease duration.

export interface LeaseTimings {
  /** how long a non-leader waits after the last observed change before taking over (client-go: 15 s) */
  readonly leaseDurationMs: number;
  /** the leader gives up if it could not renew for this long (client-go: 10 s); < leaseDurationMs */
  readonly renewDeadlineMs: number;
  /** time between attempts, for candidates and for the leader's renewals (client-go: 2 s) */
  readonly retryPeriodMs: number;
}

export const DefaultLeaseTimings: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * Candidates wait retryPeriod · [1, 1 + CandidateJitter) between attempts. client-go jitters by up to 1.2× (its
 * JitterFactor), which can stretch a takeover by more than two retry periods; 0.2 still spreads the candidates.
 */
export const CandidateJitter = 0.2;
/** client-go's validation: renewDeadline must exceed JitterFactor × retryPeriod */
const ClientGoJitterFactor = 1.2;

/** Checks the timings as client-go's NewLeaderElector does; the problems, empty when usable. */
export function timingProblems(t: LeaseTimings): string[] {
  const out: string[] = [];
  const ok = (v: number): boolean => Number.isFinite(v) && v > 0;
  if (!ok(t.leaseDurationMs) || !ok(t.renewDeadlineMs) || !ok(t.retryPeriodMs)) out.push('lease duration, renew deadline and retry period must be positive');
  if (t.leaseDurationMs <= t.renewDeadlineMs) out.push(`lease duration (${t.leaseDurationMs} ms) must be greater than the renew deadline (${t.renewDeadlineMs} ms)`);
  if (t.renewDeadlineMs <= ClientGoJitterFactor * t.retryPeriodMs) out.push(`renew deadline (${t.renewDeadlineMs} ms) must be greater than ${ClientGoJitterFactor} × the retry period (${t.retryPeriodMs} ms)`);
  if (t.leaseDurationMs % 1000 !== 0) out.push(`lease duration (${t.leaseDurationMs} ms) must be whole seconds (Lease.spec.leaseDurationSeconds)`);
  return out;
}

/** The fields of a Lease that election reads. */
export interface LeaseState {
  /** '' when released */
  readonly holder: string;
  /** spec.leaseDurationSeconds × 1000; undefined when unset */
  readonly durationMs: number | undefined;
  readonly transitions: number;
  /** metadata.resourceVersion: changes on every write, so it tells "renewed" from "unchanged" */
  readonly version: string;
}

/** When we first saw the current version of the lease, on our own clock. */
export interface Sighting {
  readonly version: string;
  readonly at: number;
}

export type Verdict =
  | { readonly kind: 'create' }
  | { readonly kind: 'renew' }
  | { readonly kind: 'take'; readonly why: 'released' | 'expired'; readonly previous: string }
  | { readonly kind: 'wait'; readonly holder: string; readonly expiresAt: number };

/**
 * What to do given the lease as read (undefined = it does not exist), what we saw before, our identity and `now`.
 * Returns the sighting to remember for the next attempt.
 */
export function assess(lease: LeaseState | undefined, seen: Sighting | undefined, identity: string, now: number, timings: LeaseTimings): { verdict: Verdict; seen: Sighting | undefined } {
  if (lease === undefined) return { verdict: { kind: 'create' }, seen: undefined };
  const sighting = seen?.version === lease.version ? seen : { version: lease.version, at: now };
  if (lease.holder === identity) return { verdict: { kind: 'renew' }, seen: sighting };
  if (lease.holder === '') return { verdict: { kind: 'take', why: 'released', previous: '' }, seen: sighting };
  const duration = lease.durationMs !== undefined && Number.isFinite(lease.durationMs) && lease.durationMs > 0 ? lease.durationMs : timings.leaseDurationMs;
  const expiresAt = sighting.at + duration;
  if (now >= expiresAt) return { verdict: { kind: 'take', why: 'expired', previous: lease.holder }, seen: sighting };
  return { verdict: { kind: 'wait', holder: lease.holder, expiresAt }, seen: sighting };
}

/** Lease.spec fields to write; times as epoch ms (the adapter turns them into MicroTime). */
export interface LeaseSpecWrite {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: number | 'keep';
  readonly renewTime: number;
  readonly leaseTransitions: number;
}

/** The spec for a create, renew or take (not for wait). */
export function nextSpec(verdict: Exclude<Verdict, { kind: 'wait' }>, lease: LeaseState | undefined, identity: string, now: number, timings: LeaseTimings): LeaseSpecWrite {
  const leaseDurationSeconds = Math.round(timings.leaseDurationMs / 1000);
  switch (verdict.kind) {
    case 'create':
      return { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 };
    case 'renew':
      return { holderIdentity: identity, leaseDurationSeconds, acquireTime: 'keep', renewTime: now, leaseTransitions: lease?.transitions ?? 0 };
    case 'take':
      return { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: (lease?.transitions ?? 0) + 1 };
  }
}

/** What the holder writes when it steps down (client-go ReleaseOnCancel): empty holder, a 1 s duration. */
export function releaseSpec(lease: LeaseState, now: number): LeaseSpecWrite {
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.transitions };
}

/** The leader's deadline: it must stop acting when it has not renewed since `lastRenewAt` for renewDeadline. */
export const renewDeadlineAt = (lastRenewAt: number, timings: LeaseTimings): number => lastRenewAt + timings.renewDeadlineMs;

/** A candidate's next attempt: retry · [1, 1 + CandidateJitter) for random in [0, 1). */
export const candidateDelayMs = (timings: LeaseTimings, random: number): number => Math.round(timings.retryPeriodMs * (1 + CandidateJitter * Math.min(Math.max(random, 0), 1)));
