// One leader-election candidate as its own process, for test/e2e/scaler-adapters.test.ts: campaigns for a Lease with
// src/kube/lease.ts and reports on stdout, one JSON object per line:
//   {"event":"ready","pid":…,"identity":"…"}  {"event":"started","at":…}  {"event":"acting","at":…}
//   {"event":"stopped","at":…,"why":"…"}  {"event":"exited","at":…}  {"event":"log","message":"…"}
// While leading it "acts" every 100 ms (stands in for scaler ticks) and stops the moment its signal aborts.
// SIGTERM stops it gracefully (releases the Lease); SIGKILL is the crash case.
//
// usage: node --import tsx elector.ts KUBECONFIG NAMESPACE LEASE LEASE_MS RENEW_MS RETRY_MS
import { KubeConfig } from '@kubernetes/client-node';
import { LeaderElector } from '../../../src/kube/lease.js';
import { abortableSleep } from '../../../src/scaler/loop.js';

const [kubeconfig, namespace, name, lease, renew, retry] = process.argv.slice(2);
if (kubeconfig === undefined || namespace === undefined || name === undefined || lease === undefined || renew === undefined || retry === undefined) {
  process.stderr.write('usage: elector.ts KUBECONFIG NAMESPACE LEASE LEASE_MS RENEW_MS RETRY_MS\n');
  process.exit(2);
}
const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const stop = new AbortController();
const elector = new LeaderElector({
  kubeConfig: kc,
  namespace,
  name,
  timings: { leaseDurationMs: Number(lease), renewDeadlineMs: Number(renew), retryPeriodMs: Number(retry) },
  log: (message) => {
    say({ event: 'log', message });
  },
  onNewLeader: (holder) => {
    say({ event: 'new-leader', holder });
  },
  onStartedLeading: async (signal) => {
    say({ event: 'started', at: Date.now() });
    while (!signal.aborted) {
      say({ event: 'acting', at: Date.now() });
      await abortableSleep(100, signal);
    }
  },
  onStoppedLeading: (why) => {
    say({ event: 'stopped', at: Date.now(), why });
  },
});
say({ event: 'ready', pid: process.pid, identity: elector.identity });
process.once('SIGTERM', () => {
  stop.abort();
});
await elector.run(stop.signal);
say({ event: 'exited', at: Date.now() });
