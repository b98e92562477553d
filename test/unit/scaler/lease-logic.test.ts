import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LeaseState, LeaseTimings, Sighting } from '../../../src/scaler/lease-logic.js';
import { assess, candidateDelayMs, DefaultLeaseTimings, nextSpec, releaseSpec, timingProblems } from '../../../src/scaler/lease-logic.js';

const t: LeaseTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const held = (holder: string, version: string, transitions = 3): LeaseState => ({ holder, durationMs: 15_000, transitions, version });

describe('lease logic: should I take it', () => {
  test('absent → create; ours → renew; released → take', () => {
    assert.equal(assess(undefined, undefined, 'me', 0, t).verdict.kind, 'create');
    assert.equal(assess(held('me', '7'), undefined, 'me', 0, t).verdict.kind, 'renew');
    assert.deepEqual(assess(held('', '7'), undefined, 'me', 0, t).verdict, { kind: 'take', why: 'released', previous: '' });
  });

  test('someone else\'s lease expires leaseDuration after we first saw its current version, on our clock', () => {
    // their renewTime says nothing to us (their clock may be skewed): only "unchanged since" counts
    let seen: Sighting | undefined;
    const at = (now: number, version: string): string => {
      const r = assess(held('other', version), seen, 'me', now, t);
      seen = r.seen;
      return r.verdict.kind;
    };
    assert.equal(at(1_000, '10'), 'wait');
    assert.equal(at(14_999, '10'), 'wait');
    assert.equal(at(15_500, '11'), 'wait', 'renewed: a new version restarts the clock');
    assert.equal(at(30_499, '11'), 'wait');
    assert.equal(at(30_500, '11'), 'take');
    const r = assess(held('other', '11'), seen, 'me', 30_500, t);
    assert.deepEqual(r.verdict, { kind: 'take', why: 'expired', previous: 'other' });
  });

  test('a fresh candidate waits a full duration even for a lease that is long dead (it cannot know)', () => {
    const r = assess(held('ghost', '3'), undefined, 'me', 1e12, t);
    assert.deepEqual(r.verdict, { kind: 'wait', holder: 'ghost', expiresAt: 1e12 + 15_000 });
  });

  test('the record\'s own leaseDurationSeconds counts; a missing or bad one falls back to ours', () => {
    const seen = { version: '5', at: 0 };
    assert.equal(assess({ ...held('other', '5'), durationMs: 1_000 }, seen, 'me', 1_000, t).verdict.kind, 'take');
    assert.equal(assess({ ...held('other', '5'), durationMs: undefined }, seen, 'me', 14_000, t).verdict.kind, 'wait');
    assert.equal(assess({ ...held('other', '5'), durationMs: Number.NaN }, seen, 'me', 15_000, t).verdict.kind, 'take');
  });

  test('specs: create starts at 0 transitions, renew keeps acquireTime, take counts a transition, release empties the holder', () => {
    assert.deepEqual(nextSpec({ kind: 'create' }, undefined, 'me', 5, t), { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: 5, renewTime: 5, leaseTransitions: 0 });
    assert.deepEqual(nextSpec({ kind: 'renew' }, held('me', '1', 4), 'me', 9, t), { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: 'keep', renewTime: 9, leaseTransitions: 4 });
    assert.deepEqual(nextSpec({ kind: 'take', why: 'expired', previous: 'x' }, held('x', '1', 4), 'me', 9, t).leaseTransitions, 5);
    assert.deepEqual(releaseSpec(held('me', '1', 4), 20), { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: 20, renewTime: 20, leaseTransitions: 4 });
  });

  test('timings are checked as client-go does', () => {
    assert.deepEqual(timingProblems(DefaultLeaseTimings), []);
    assert.deepEqual(timingProblems({ leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 500 }), []);
    assert.match(timingProblems({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }).join(), /greater than the renew deadline/);
    assert.match(timingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }).join(), /1.2 × the retry period/);
    assert.match(timingProblems({ leaseDurationMs: 2_500, renewDeadlineMs: 1_500, retryPeriodMs: 500 }).join(), /whole seconds/);
    assert.match(timingProblems({ leaseDurationMs: 0, renewDeadlineMs: -1, retryPeriodMs: Number.NaN }).join(), /positive/);
  });

  test('candidate delays stay within retry · [1, 1.2]', () => {
    assert.equal(candidateDelayMs(t, 0), 2_000);
    assert.equal(candidateDelayMs(t, 0.5), 2_200);
    assert.equal(candidateDelayMs(t, 5), 2_400);
  });
});
