// One SLO-reachability test for the validator, `inferno plan` and candidate generation: they must agree. The old
// validator checked TTFT as γ + δ·max(I, 1) whatever the analyzer, so with analyzer v1 (which has no TTFT target,
// only TTW) it denied Optimizers the solver places.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { impossibleSlos } from '../../../src/cli/plan.js';
import type { OptimizerResource } from '../../../src/cluster/resources.js';
import { serverFromOptimizer } from '../../../src/cluster/optimizer.js';
import type { AnalyzerKind, ServiceClass, System } from '../../../src/domain/types.js';
import { prepare } from '../../../src/solver/index.js';
import { sloReachability } from '../../../src/solver/reachability.js';
import type { AdmissionRequest } from '../../../src/webhook/types.js';
import { validateOptimizer } from '../../../src/webhook/validate.js';
import { rng } from '../../support/assert.js';
import { catalog, classIndex, graniteOptimizer, premium, snapshot, view } from '../../support/cluster.js';
import { options } from '../../support/system.js';

const request = (object: unknown): AdmissionRequest => ({
  uid: 'u1', kind: { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, operation: 'CREATE', namespace: 'models', name: 'granite-13b', dryRun: false, object, oldObject: undefined,
});

const withTarget = (t: Partial<ServiceClass['targets'][number]>): ServiceClass => ({ ...premium, targets: premium.targets.map((x) => ({ ...x, ...t })) });

function admitted(o: OptimizerResource, cls: ServiceClass, kind: AnalyzerKind): boolean {
  const snap = snapshot({ classes: classIndex(cls), controller: { options: { analyzer: kind } } });
  return validateOptimizer(request(o), view(snap, [o])).type === 'allow';
}

function planned(o: OptimizerResource, cls: ServiceClass, kind: AnalyzerKind): { placed: boolean; badInput: boolean } {
  const system: System = {
    accelerators: catalog, serviceClasses: [cls], servers: [serverFromOptimizer(o, cls)], capacity: {}, options: options({ unlimited: true, analyzer: kind }),
  };
  const p = prepare(system);
  return { placed: (p.servers[0]?.candidates.length ?? 0) > 0, badInput: impossibleSlos(p).length > 0 };
}

const loaded = graniteOptimizer();
const idle = graniteOptimizer({ status: {} });

describe('SLO reachability: validator, plan and solver agree', () => {
  test('analyzer v1: a TTFT target below every prefill is admitted, because v1 places it (it bounds TTW, not TTFT)', () => {
    const cls = withTarget({ ttft: 50, itl: 40 });
    for (const o of [loaded, idle]) {
      assert.equal(planned(o, cls, 'v1').placed, true, 'v1 places the server');
      assert.equal(admitted(o, cls, 'v1'), true, 'so the validator admits it');
    }
    // v2 bounds TTFT: with a prompt, γ + δ·I > 50 ms on every accelerator, so neither places nor admits it.
    assert.equal(planned(loaded, cls, 'v2').placed, false);
    assert.equal(planned(loaded, cls, 'v2').badInput, true);
    assert.equal(admitted(loaded, cls, 'v2'), false);
  });

  test('analyzer v1: an ITL no accelerator reaches is denied, because v1 cannot place it either', () => {
    const cls = withTarget({ ttft: 0, itl: 5 });
    for (const o of [loaded, idle]) {
      assert.equal(planned(o, cls, 'v1').placed, false);
      assert.equal(planned(o, cls, 'v1').badInput, true);
      assert.equal(admitted(o, cls, 'v1'), false);
    }
  });

  test('on random targets the validator admits exactly what the solver can place (v1 and v2, loaded and idle)', () => {
    const r = rng(77);
    let admittedCount = 0;
    let denied = 0;
    for (let i = 0; i < 120; i++) {
      // Around the edges: granite-13b's lone-request ITL is 7.9–21 ms and its prefill 62–171 ms.
      const cls = withTarget({ itl: 5 + r() * 25, ttft: r() < 0.2 ? 0 : 40 + r() * 200, ttw: r() < 0.5 ? 0 : 1 + r() * 50 });
      for (const kind of ['v1', 'v2'] as const) {
        for (const o of [loaded, idle]) {
          const ok = admitted(o, cls, kind);
          const { placed, badInput } = planned(o, cls, kind);
          assert.equal(ok, placed, `case ${i} ${kind} ${o.status?.load === undefined ? 'idle' : 'loaded'}: validator ${ok ? 'admits' : 'denies'}, solver ${placed ? 'places' : 'cannot place'} ${JSON.stringify(cls.targets[0])}`);
          assert.equal(badInput, !placed, `case ${i}: plan's bad-input check disagrees`);
          if (ok) admittedCount += 1;
          else denied += 1;
        }
      }
    }
    assert.ok(admittedCount > 50 && denied > 50, `admitted ${admittedCount}, denied ${denied}: targets do not straddle the edge`);
  });

  test('keepAccelerator: only the current accelerator counts, for the validator as for the solver', () => {
    // ITL 15 ms: MI300X (7.9 ms) and H100 (12.5 ms) reach it, the current A100 (21 ms) does not.
    const cls = withTarget({ ttft: 0, itl: 15 });
    const pinned = graniteOptimizer({ spec: { keepAccelerator: true }, status: { accelerator: 'A100', replicas: 2, load: { arrivalRate: 120, avgInTokens: 512, avgOutTokens: 256 } } });
    const free = graniteOptimizer({ status: { accelerator: 'A100', replicas: 2, load: { arrivalRate: 120, avgInTokens: 512, avgOutTokens: 256 } } });
    for (const kind of ['v1', 'v2'] as const) {
      assert.equal(planned(pinned, cls, kind).placed, false);
      assert.equal(admitted(pinned, cls, kind), false, `${kind}: pinned to A100`);
      assert.equal(planned(free, cls, kind).placed, true);
      assert.equal(admitted(free, cls, kind), true, `${kind}: free to move`);
    }
  });

  test('gives the reason with the best achievable latency', () => {
    const s = serverFromOptimizer(loaded, premium);
    const a100 = s.profiles.find((p) => p.accelerator === 'A100');
    assert.ok(a100 !== undefined);
    const r = sloReachability('v2', s, a100, { ...premium.targets[0]!, itl: 10 });
    assert.ok(r.reachable === false);
    assert.deepEqual(r.misses.map((m) => m.bound), ['itl']);
    assert.ok(Math.abs((r.misses[0]?.best ?? 0) - 20.99) < 0.01, JSON.stringify(r.misses));
    assert.match(r.reason, /ITL target 10 ms is out of reach: even at the lowest load the model gives 20\.99/);
    const idleServer = serverFromOptimizer(idle, premium);
    const lone = sloReachability('v2', idleServer, a100, { ...premium.targets[0]!, itl: 10 });
    assert.ok(lone.reachable === false);
    assert.match(lone.reason, /ITL target 10 ms is out of reach: a single request gets 20\.99 ms/);
  });
});
