// The scaler's Kubernetes adapters against a real control plane, all under the `inferno` ServiceAccount with the
// RBAC of deploy/base/rbac.yaml (so the rules are proven sufficient, and checked to be narrow):
// - Lease leader election (src/kube/lease.ts): two candidate processes, only one leads and acts; SIGKILL the leader
//   and the other takes over after the lease duration; SIGTERM releases at once; a stolen lease or an unreachable
//   API server stops the leader's work;
// - the actuator (src/kube/scaler-actuator.ts): the Deployment scale subresource with 409 retries, generation-tested
//   pod-template patches, the Optimizer status (printer columns), aggregated Events;
// - samples/autoscaling/*.yaml pass `kubectl apply --dry-run=server`.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OptimizerSchema } from '../../src/cluster/resources.js';
import { ScalerLease, ScalerMetric } from '../../src/domain/keys.js';
import { LeaderElector } from '../../src/kube/lease.js';
import { ConflictError, ScalerActuator } from '../../src/kube/scaler-actuator.js';
import type { OptimizerStatusWrite } from '../../src/scaler/status.js';
import { ConditionType, setConditions, rfc3339 } from '../../src/scaler/status.js';
import type { Cluster, ServiceAccountKubeconfig } from './cluster.js';
import { REPO_ROOT, serviceAccountKubeconfig, startCluster, waitFor } from './cluster.js';

const SUPERVISOR = path.join(REPO_ROOT, 'test', 'e2e', 'supervise.sh');
const ELECTOR = path.join(REPO_ROOT, 'test', 'e2e', 'support', 'elector.ts');
const INFERNO_NS = 'inferno-system';
const NS = 'scaler-e2e';
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
// Short timings (client-go's 15/10/2 s scaled down); the lease duration must be whole seconds.
const LEASE_MS = 2_000;
const RENEW_MS = 1_500;
const RETRY_MS = 500;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

const LeaseJson = z.object({ spec: z.object({ holderIdentity: z.string().optional(), leaseTransitions: z.number().optional(), leaseDurationSeconds: z.number().optional() }) });

type ElectorEvent = { event: string; at?: number; pid?: number; identity?: string; why?: string; message?: string; seen: number };

/** One `test/e2e/support/elector.ts` process under the e2e supervisor. */
class Candidate {
  readonly events: ElectorEvent[] = [];
  readonly proc: ChildProcessWithoutNullStreams;
  readonly exited: Promise<void>;
  constructor(kubeconfig: string, lease: string) {
    this.proc = spawn('bash', [SUPERVISOR, 'run', process.execPath, '--import', 'tsx', ELECTOR, kubeconfig, INFERNO_NS, lease, String(LEASE_MS), String(RENEW_MS), String(RETRY_MS)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try {
        this.events.push({ ...(JSON.parse(line) as Omit<ElectorEvent, 'seen'>), seen: Date.now() });
      } catch {
        this.events.push({ event: 'stdout', message: line, seen: Date.now() });
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.events.push({ event: 'stderr', message: d.toString('utf8'), seen: Date.now() });
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', () => {
        resolve();
      });
    });
  }
  has(kind: string): boolean {
    return this.events.some((e) => e.event === kind);
  }
  first(kind: string): ElectorEvent | undefined {
    return this.events.find((e) => e.event === kind);
  }
  async ready(): Promise<{ pid: number; identity: string }> {
    await waitFor('an elector process to start', () => Promise.resolve(this.has('ready')), { timeoutMs: 60_000, intervalMs: 50 });
    const r = this.first('ready');
    assert.ok(r?.pid !== undefined && r.identity !== undefined, JSON.stringify(this.events));
    return { pid: r.pid, identity: r.identity };
  }
  /** [start, end] of each period it acted (end = its 'stopped' or undefined while still leading). */
  actingSpans(): [number, number | undefined][] {
    const spans: [number, number | undefined][] = [];
    for (const e of this.events) {
      if (e.event === 'started' && e.at !== undefined) spans.push([e.at, undefined]);
      if (e.event === 'stopped' && e.at !== undefined) {
        const open = spans.at(-1);
        if (open !== undefined && open[1] === undefined) open[1] = e.at;
      }
    }
    return spans;
  }
  lastActing(): number | undefined {
    return this.events.filter((e) => e.event === 'acting').at(-1)?.at;
  }
  log(): string {
    return this.events.map((e) => JSON.stringify(e)).join('\n');
  }
}

/** A TCP relay in front of the API server that can be cut, to make renewals fail the way a network partition does. */
class Relay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cut = false;
  private readonly target: number;
  port = 0;
  constructor(target: number) {
    this.target = target;
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.cut) return; // accept and never answer: requests hang until their timeout
      const upstream = net.connect(this.target, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }
  partition(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }
  async close(): Promise<void> {
    this.partition();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

void describe('e2e: scaler adapters in a real control plane', { timeout: 900_000 }, () => {
  let cluster: Cluster;
  let dir = '';
  let sa: ServiceAccountKubeconfig;
  let saKubeconfig = '';
  let kc: KubeConfig;
  const candidates: Candidate[] = [];
  const apply = (obj: unknown): Promise<string> => cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });


  before(async () => {
    cluster = await startCluster();
    dir = await mkdtemp(path.join(tmpdir(), 'inferno-e2e-scaler-'));
    await cluster.kubectl(['apply', '-f', file('deploy', 'base', 'namespace.yaml'), '-f', file('deploy', 'crd', 'optimizers.llmd.ai.yaml'), '-f', file('deploy', 'base', 'rbac.yaml')]);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
    await cluster.kubectl(['create', 'namespace', NS]);
    sa = await serviceAccountKubeconfig(cluster, { namespace: INFERNO_NS, name: 'inferno' }, path.join(dir, 'inferno-sa.kubeconfig'));
    saKubeconfig = sa.file;
    kc = new KubeConfig();
    kc.loadFromFile(saKubeconfig);
  });

  after(async () => {
    for (const c of candidates) c.proc.kill('SIGTERM');
    await Promise.all(candidates.map((c) => c.exited));
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('RBAC', () => {
    it('the ServiceAccount may do what the scaler needs and no more', async () => {
      // exit code 1 means "no"; read the answer from stdout either way
      const can = (...args: string[]): Promise<string> =>
        new Promise((resolve) => {
          execFile(path.join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, 'auth', 'can-i', '--as=system:serviceaccount:inferno-system:inferno', ...args], (_err, stdout, stderr) => {
            resolve(`${stdout.trim()}${stderr.trim() === '' ? '' : ` (${stderr.trim()})`}`);
          });
        });
      const yes: string[][] = [
        ['update', 'deployments.apps', '--subresource=scale', '-n', NS],
        ['patch', 'deployments.apps', '-n', NS],
        ['patch', 'optimizers.llmd.ai', '--subresource=status', '-n', NS],
        ['create', 'events', '-n', NS],
        ['patch', 'events', '-n', NS],
        ['create', 'leases.coordination.k8s.io', '-n', INFERNO_NS],
        ['update', `leases.coordination.k8s.io/${ScalerLease.name}`, '-n', INFERNO_NS],
      ];
      const no: string[][] = [
        ['delete', 'deployments.apps', '-n', NS],
        ['create', 'deployments.apps', '-n', NS],
        ['patch', 'optimizers.llmd.ai', '-n', NS],
        ['delete', 'events', '-n', NS],
        ['create', 'leases.coordination.k8s.io', '-n', NS],
        ['update', 'leases.coordination.k8s.io/some-other-lease', '-n', INFERNO_NS],
        ['delete', `leases.coordination.k8s.io/${ScalerLease.name}`, '-n', INFERNO_NS],
      ];
      for (const a of yes) assert.equal(await can(...a), 'yes', a.join(' '));
      for (const a of no) assert.equal(await can(...a), 'no', a.join(' '));
    });
  });

  describe('Lease leader election', () => {
    it('two candidates: one leads, the other takes over within the lease duration after SIGKILL, at once after SIGTERM', async () => {
      const a = new Candidate(saKubeconfig, ScalerLease.name);
      const b = new Candidate(saKubeconfig, ScalerLease.name);
      candidates.push(a, b);
      const [ra, rb] = await Promise.all([a.ready(), b.ready()]);
      assert.notEqual(ra.identity, rb.identity, 'identities are unique per process');

      await waitFor('a leader', () => Promise.resolve(a.has('started') || b.has('started')), { timeoutMs: 20_000, intervalMs: 50 });
      const [leader, follower] = a.has('started') ? [a, b] : [b, a];
      const leaderId = leader === a ? ra : rb;
      // several lease durations with both alive: the follower never leads
      await sleep(3 * LEASE_MS);
      assert.equal(follower.has('started'), false, follower.log());
      const lease = LeaseJson.parse(await cluster.kubectlJson(['-n', INFERNO_NS, 'get', 'lease', ScalerLease.name, '-o', 'json']));
      assert.equal(lease.spec.holderIdentity, leaderId.identity);
      assert.equal(lease.spec.leaseDurationSeconds, LEASE_MS / 1000);

      // crash: SIGKILL the leader's process (no release)
      const killedAt = Date.now();
      process.kill(leaderId.pid, 'SIGKILL');
      await waitFor('the follower to take over', () => Promise.resolve(follower.has('started')), { timeoutMs: 20_000, intervalMs: 20 });
      const tookOver = follower.first('started')?.at ?? Number.NaN;
      const takeoverMs = tookOver - killedAt;
      process.stderr.write(`[scaler-adapters] takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_MS} ms, retry ${RETRY_MS} ms)\n`);
      // Candidates count the lease duration from when they first saw the lease's last version, on their own clock
      // (client-go's rule: immune to clock skew), and see a renewal up to one retry period (+20 % jitter) late; they
      // wake at that expiry. Bound: D + 1.2·retry after the last renewal, which was at most one retry before the kill.
      assert.ok(takeoverMs >= 0 && takeoverMs <= LEASE_MS + 1.2 * RETRY_MS + 300, `took over ${takeoverMs} ms after the kill`);
      // no overlap: the killed leader's last act came before the new leader's first
      const lastActOfKilled = leader.lastActing() ?? 0;
      assert.ok(lastActOfKilled < tookOver, `${lastActOfKilled} < ${tookOver}`);
      const transitions = LeaseJson.parse(await cluster.kubectlJson(['-n', INFERNO_NS, 'get', 'lease', ScalerLease.name, '-o', 'json'])).spec.leaseTransitions ?? 0;
      assert.ok(transitions >= 1);

      // graceful: a third candidate, then SIGTERM the current leader → it releases, the third takes over at once
      const c = new Candidate(saKubeconfig, ScalerLease.name);
      candidates.push(c);
      await c.ready();
      await sleep(2 * RETRY_MS);
      assert.equal(c.has('started'), false);
      const termAt = Date.now();
      follower.proc.kill('SIGTERM');
      await waitFor('the third to take over after a release', () => Promise.resolve(c.has('started')), { timeoutMs: 20_000, intervalMs: 20 });
      const releasedTakeoverMs = (c.first('started')?.at ?? Number.NaN) - termAt;
      process.stderr.write(`[scaler-adapters] takeover after SIGTERM (release): ${releasedTakeoverMs} ms\n`);
      assert.ok(releasedTakeoverMs < LEASE_MS, `a released lease is taken before it would have expired (${releasedTakeoverMs} ms)`);
      await follower.exited;
      assert.ok(follower.has('stopped') && follower.has('exited'), follower.log());
      const stoppedAt = follower.events.find((e) => e.event === 'stopped')?.at ?? Number.POSITIVE_INFINITY;
      assert.ok(stoppedAt <= (c.first('started')?.at ?? 0), 'the old leader stopped acting before the new one started');

      // over the whole run, acting periods of different processes never overlapped
      const spans = [a, b, c].flatMap((x) => x.actingSpans().map(([s, e]) => [s, e ?? (x === leader ? (x.lastActing() ?? s) : Date.now())] as const));
      spans.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `overlap: ${JSON.stringify(spans)}`);
      c.proc.kill('SIGTERM');
      await c.exited;
    });

    it('a leader whose lease is taken by someone else stops at its next renewal', async () => {
      // the ServiceAccount may only use the scaler's own Lease name (RBAC resourceNames)
      const lease = ScalerLease.name;
      let aborted = 0;
      let started = 0;
      const stop = new AbortController();
      const e = new LeaderElector({
        kubeConfig: kc, namespace: INFERNO_NS, name: lease,
        timings: { leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_MS, retryPeriodMs: RETRY_MS },
        log: (m) => process.stderr.write(`[elector] ${m}\n`),
        onStartedLeading: (signal) => {
          started = Date.now();
          return new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = Date.now();
              resolve();
            });
          });
        },
      });
      const running = e.run(stop.signal);
      try {
        await waitFor('leadership', () => Promise.resolve(started > 0), { timeoutMs: 10_000, intervalMs: 20 });
        // an administrator (or a split-brain peer) rewrites the holder
        const stolenAt = Date.now();
        await cluster.kubectl(['-n', INFERNO_NS, 'patch', 'lease', lease, '--type=merge', '-p', JSON.stringify({ spec: { holderIdentity: 'intruder', leaseDurationSeconds: 60 } })]);
        await waitFor('the leader to notice', () => Promise.resolve(aborted > 0), { timeoutMs: 5_000, intervalMs: 10 });
        process.stderr.write(`[scaler-adapters] stolen lease noticed after ${aborted - stolenAt} ms\n`);
        assert.ok(aborted - stolenAt <= 1.2 * RETRY_MS + 500, `${aborted - stolenAt} ms`);
        assert.equal(e.isLeader(), false);
        // it does not take the lease back while the intruder's 60 s lease is valid
        await sleep(3 * LEASE_MS);
        const holder = LeaseJson.parse(await cluster.kubectlJson(['-n', INFERNO_NS, 'get', 'lease', lease, '-o', 'json'])).spec.holderIdentity;
        assert.equal(holder, 'intruder');
      } finally {
        stop.abort();
        await running;
        await cluster.kubectl(['-n', INFERNO_NS, 'delete', 'lease', lease, '--ignore-not-found']);
      }
    });

    it('a leader that cannot reach the API server stops within the renew deadline', async () => {
      const relay = new Relay(cluster.ports['kube-apiserver']);
      const port = await relay.listen();
      const viaRelay = new KubeConfig();
      viaRelay.loadFromString(sa.yamlFor(`https://127.0.0.1:${port}`));
      let aborted = 0;
      let started = 0;
      const stop = new AbortController();
      const e = new LeaderElector({
        kubeConfig: viaRelay, namespace: INFERNO_NS, name: ScalerLease.name,
        timings: { leaseDurationMs: LEASE_MS, renewDeadlineMs: RENEW_MS, retryPeriodMs: RETRY_MS },
        log: (m) => process.stderr.write(`[elector] ${m}\n`),
        onStartedLeading: (signal) => {
          started = Date.now();
          return new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              aborted = Date.now();
              resolve();
            });
          });
        },
      });
      const running = e.run(stop.signal);
      try {
        await waitFor('leadership', () => Promise.resolve(started > 0), { timeoutMs: 10_000, intervalMs: 20 });
        await sleep(3 * RETRY_MS); // a few renewals go through
        const leaseRv = async (): Promise<string> => z.object({ metadata: z.object({ resourceVersion: z.string() }) }).parse(await cluster.kubectlJson(['-n', INFERNO_NS, 'get', 'lease', ScalerLease.name, '-o', 'json'])).metadata.resourceVersion;
        const before = await leaseRv();
        await sleep(2 * RETRY_MS);
        assert.notEqual(await leaseRv(), before, 'the leader renews while connected');
        relay.partition();
        const cutAt = Date.now();
        await waitFor('the leader to give up', () => Promise.resolve(aborted > 0), { timeoutMs: 10_000, intervalMs: 10 });
        process.stderr.write(`[scaler-adapters] partitioned leader stopped ${aborted - cutAt} ms after the cut (renew deadline ${RENEW_MS} ms)\n`);
        // the last renewal before the cut was at most one retry period earlier
        assert.ok(aborted - cutAt <= RENEW_MS + 300, `${aborted - cutAt} ms`);
        // and it stopped before anyone else could have taken the lease (lease duration after its last renewal)
        assert.ok(aborted - cutAt < LEASE_MS);
      } finally {
        stop.abort();
        await running;
        await relay.close();
        await cluster.kubectl(['-n', INFERNO_NS, 'delete', 'lease', ScalerLease.name, '--ignore-not-found']);
      }
    });
  });

  describe('actuator', () => {
    const deployment = (name: string, replicas = 1): Record<string, unknown> => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS, labels: { app: name, 'inferno.llmd.ai/managed': 'true' } },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['--max-num-seqs', '32'] }] },
        },
      },
    });
    const DeploymentJson = z.object({
      metadata: z.object({ generation: z.number() }),
      spec: z.object({
        replicas: z.number(),
        template: z.object({ spec: z.object({ nodeSelector: z.record(z.string(), z.string()).optional(), containers: z.array(z.object({ args: z.array(z.string()).optional() })) }), metadata: z.object({ labels: z.record(z.string(), z.string()) }) }),
      }),
    });
    const getDeployment = async (name: string) => DeploymentJson.parse(await cluster.kubectlJson(['-n', NS, 'get', 'deployment', name, '-o', 'json']));

    it('scales through the scale subresource; unchanged and gone are not errors', async () => {
      await apply(deployment('scale-me', 1));
      const act = new ScalerActuator({ kubeConfig: kc });
      assert.deepEqual(await act.scale(NS, 'scale-me', 3), { kind: 'scaled', from: 1, to: 3 });
      assert.equal((await getDeployment('scale-me')).spec.replicas, 3);
      assert.deepEqual(await act.scale(NS, 'scale-me', 3), { kind: 'unchanged', replicas: 3 });
      assert.deepEqual(await act.scale(NS, 'no-such-deployment', 2), { kind: 'gone' });
      assert.throws(() => act.scale(NS, 'scale-me', -1), RangeError);
    });

    it('409 conflicts are retried on a fresh read; without retries they surface', async () => {
      await apply(deployment('contended', 1));
      // Eight writers read the same resourceVersion and race: all but one must conflict on the first try.
      const once = new ScalerActuator({ kubeConfig: kc, maxAttempts: 1 });
      let conflicts = 0;
      for (let round = 0; round < 3 && conflicts === 0; round++) {
        const results = await Promise.allSettled([2, 3, 4, 5, 6, 7, 8, 9].map((n) => once.scale(NS, 'contended', n + round * 10)));
        conflicts = results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError).length;
        assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason instanceof ConflictError), JSON.stringify(results));
      }
      assert.ok(conflicts > 0, 'concurrent writers conflicted');
      const retrying = new ScalerActuator({ kubeConfig: kc, maxAttempts: 10, retryDelayMs: 20 });
      const targets = [11, 12, 13, 14, 15, 16];
      const results = await Promise.all(targets.map((n) => retrying.scale(NS, 'contended', n)));
      assert.ok(results.every((r) => r.kind === 'scaled'), JSON.stringify(results));
      assert.ok(targets.includes((await getDeployment('contended')).spec.replicas));
    });

    it('patches the pod template after a generation test; a spec change meanwhile makes it re-read and re-plan', async () => {
      await apply(deployment('retemplate', 2));
      const act = new ScalerActuator({ kubeConfig: kc });
      const gen0 = (await getDeployment('retemplate')).metadata.generation;
      let calls = 0;
      const result = await act.patchTemplate(NS, 'retemplate', (d) => {
        calls++;
        if (calls === 1) {
          // someone edits the spec between our read and our patch (synchronously, with the admin kubeconfig)
          execFileSync(path.join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, '-n', NS, 'label', 'deployment', 'retemplate', 'edited=yes']);
          execFileSync(path.join(cluster.binDir, 'kubectl'), ['--kubeconfig', cluster.kubeconfig, '-n', NS, 'patch', 'deployment', 'retemplate', '--type=merge', '-p', '{"spec":{"template":{"metadata":{"annotations":{"user-edit":"1"}}}}}']);
        }
        const args = d.spec?.template.spec?.containers[0]?.args ?? [];
        return [
          { op: 'add', path: '/spec/template/spec/nodeSelector', value: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' } },
          { op: 'replace', path: '/spec/template/spec/containers/0/args', value: args.map((a) => (a === '32' ? '64' : a)) },
          { op: 'add', path: '/spec/template/metadata/labels/inferno.llmd.ai~1accelerator', value: 'H100' },
        ];
      });
      assert.equal(calls, 2, 'the stale patch failed its generation test and was re-planned');
      assert.equal(result.kind, 'patched');
      const d = await getDeployment('retemplate');
      assert.ok(d.metadata.generation >= gen0 + 2);
      assert.deepEqual(d.spec.template.spec.nodeSelector, { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' });
      assert.deepEqual(d.spec.template.spec.containers[0]?.args, ['--max-num-seqs', '64']);
      assert.equal(d.spec.template.metadata.labels['inferno.llmd.ai/accelerator'], 'H100');
      const annotations = z.object({ spec: z.object({ template: z.object({ metadata: z.object({ annotations: z.record(z.string(), z.string()) }) }) }) })
        .parse(await cluster.kubectlJson(['-n', NS, 'get', 'deployment', 'retemplate', '-o', 'json'])).spec.template.metadata.annotations;
      assert.equal(annotations['user-edit'], '1', 'the concurrent edit survived');
      assert.deepEqual(await act.patchTemplate(NS, 'retemplate', () => []), { kind: 'unchanged' });
      assert.deepEqual(await act.patchTemplate(NS, 'gone-deployment', () => [{ op: 'add', path: '/x', value: 1 }]), { kind: 'gone' });
    });

    it('writes the Optimizer status; kubectl get shows it in the printer columns; nulls remove stale values', async () => {
      await apply({
        apiVersion: 'llmd.ai/v1alpha1',
        kind: 'Optimizer',
        metadata: { name: 'granite-13b', namespace: NS },
        spec: {
          modelID: 'ibm-granite/granite-13b-instruct',
          serviceClass: 'Premium',
          modelProfile: { accelerators: [{ acc: 'A100', accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125 }] },
        },
      });
      const act = new ScalerActuator({ kubeConfig: kc });
      const now = new Date();
      const status: OptimizerStatusWrite = {
        observedGeneration: 1,
        accelerator: 'A100', replicas: 2, maxBatch: 32, cost: 360,
        itlAverage: 18.25, ttftAverage: 240.5,
        load: { arrivalRate: 120, avgInTokens: 512, avgOutTokens: 256 },
        desired: { accelerator: 'H100', replicas: 1, maxBatch: 32, cost: 300, itlAverage: 14.5, ttftAverage: 180 },
        lastUpdate: rfc3339(now),
        conditions: setConditions([], [
          { type: ConditionType.metricsAvailable, status: 'True', reason: 'MetricsFound', message: 'arrival rate, tokens and latencies from 2 pods' },
          { type: ConditionType.optimizationReady, status: 'True', reason: 'OptimizationSucceeded', message: 'H100 ×1 meets the SLO at 300 ¢/h' },
          { type: ConditionType.actuated, status: 'False', reason: 'SwitchDeferred', message: 'moving to H100 is deferred' },
        ], now),
      };
      assert.deepEqual(await act.writeStatus(NS, 'granite-13b', status), { kind: 'written' });
      const table = (await cluster.kubectl(['-n', NS, 'get', 'optimizer', 'granite-13b'])).trim().split('\n');
      const header = table[0]!.split(/\s{2,}/);
      const row = table[1]!.split(/\s{2,}/);
      const cols = Object.fromEntries(header.map((h, i) => [h, row[i]]));
      assert.deepEqual(
        { MODEL: cols['MODEL'], ACCELERATOR: cols['ACCELERATOR'], REPLICAS: cols['REPLICAS'], DESIRED: cols['DESIRED'], 'DESIRED-REPLICAS': cols['DESIRED-REPLICAS'], COST: cols['COST'], METRICS: cols['METRICS'], ACTUATED: cols['ACTUATED'] },
        { MODEL: 'ibm-granite/granite-13b-instruct', ACCELERATOR: 'A100', REPLICAS: '2', DESIRED: 'H100', 'DESIRED-REPLICAS': '1', COST: '360', METRICS: 'True', ACTUATED: 'False' },
        table.join('\n'),
      );
      const wide = (await cluster.kubectl(['-n', NS, 'get', 'optimizer', 'granite-13b', '-o', 'wide'])).trim().split('\n');
      const wcols = Object.fromEntries(wide[0]!.split(/\s{2,}/).map((h, i) => [h, wide[1]!.split(/\s{2,}/)[i]]));
      assert.deepEqual([wcols['RATE'], wcols['ITL'], wcols['PREDICTED-ITL']], ['120', '18.25', '14.5'], wide.join('\n'));

      // the webhook reads the same object: its schema still accepts status (current allocation and observed load)
      const parsed = OptimizerSchema.parse(await cluster.kubectlJson(['-n', NS, 'get', 'optimizer', 'granite-13b', '-o', 'json']));
      assert.deepEqual([parsed.status?.accelerator, parsed.status?.replicas, parsed.status?.load?.arrivalRate], ['A100', 2, 120]);

      // metrics gone: observed latencies become unknown and are removed, the condition flips
      await act.writeStatus(NS, 'granite-13b', {
        itlAverage: null, ttftAverage: null, load: null,
        conditions: setConditions(status.conditions ?? [], [{ type: ConditionType.metricsAvailable, status: 'False', reason: 'PrometheusError', message: 'connect ECONNREFUSED' }], new Date()),
      });
      const after = z.object({ status: z.record(z.string(), z.unknown()) }).parse(await cluster.kubectlJson(['-n', NS, 'get', 'optimizer', 'granite-13b', '-o', 'json'])).status;
      assert.equal(after['itlAverage'], undefined);
      assert.equal(after['load'], undefined);
      assert.equal(after['accelerator'], 'A100', 'fields not in the patch stay');
      const metrics = (await cluster.kubectl(['-n', NS, 'get', 'optimizer', 'granite-13b', '-o', 'jsonpath={.status.conditions[?(@.type=="MetricsAvailable")].status}'])).trim();
      assert.equal(metrics, 'False');
      assert.deepEqual(await act.writeStatus(NS, 'no-such-optimizer', { replicas: 1 }), { kind: 'gone' });
      // the CRD's status schema still rejects garbage (the write is validated, not stored blindly)
      await assert.rejects(act.writeStatus(NS, 'granite-13b', { replicas: -3 }), /^KubeApiError: write status of Optimizer scaler-e2e\/granite-13b: HTTP 422: .*status.replicas: Invalid value: -3/);
    });

    it('records Events and aggregates repeats into a count instead of new objects', async () => {
      const act = new ScalerActuator({ kubeConfig: kc, component: 'inferno-scaler', instance: 'e2e' });
      const uidOf = async (kind: string, name: string): Promise<string> => z.object({ metadata: z.object({ uid: z.string() }) }).parse(await cluster.kubectlJson(['-n', NS, 'get', kind, name, '-o', 'json'])).metadata.uid;
      const involved = { kind: 'Deployment' as const, namespace: NS, name: 'scale-me', uid: await uidOf('deployment', 'scale-me') };
      // no uid: the actuator looks it up, so kubectl describe still finds the Event
      const optimizer = { kind: 'Optimizer' as const, namespace: NS, name: 'granite-13b' };
      assert.deepEqual(await act.event({ involved, type: 'Normal', reason: 'LoadIncrease', message: 'scaling up from 1 to 3: the load needs 3' }), { kind: 'created' });
      for (let i = 2; i <= 5; i++) assert.deepEqual(await act.event({ involved, type: 'Normal', reason: 'LoadIncrease', message: 'scaling up from 1 to 3: the load needs 3' }), { kind: 'aggregated', count: i });
      assert.deepEqual(await act.event({ involved, type: 'Warning', reason: 'MetricsUnavailable', message: 'holding 3 replica(s): Prometheus down' }), { kind: 'created' });
      assert.deepEqual(await act.event({ involved: optimizer, type: 'Normal', reason: 'AcceleratorChange', message: 'A100 → H100' }), { kind: 'created' });
      const Events = z.object({ items: z.array(z.object({ reason: z.string().optional(), type: z.string().optional(), count: z.number().optional(), involvedObject: z.object({ kind: z.string().optional(), name: z.string().optional() }), source: z.object({ component: z.string().optional() }).optional() })) });
      const events = Events.parse(await cluster.kubectlJson(['-n', NS, 'get', 'events', '-o', 'json'])).items.filter((e) => e.source?.component === 'inferno-scaler');
      const summary = events.map((e) => `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''} ${e.type ?? ''} ${e.reason ?? ''} ×${e.count ?? 0}`).sort();
      assert.deepEqual(summary, ['Deployment/scale-me Normal LoadIncrease ×5', 'Deployment/scale-me Warning MetricsUnavailable ×1', 'Optimizer/granite-13b Normal AcceleratorChange ×1']);
      // users see them where they look: kubectl describe (matched by involvedObject.uid)
      const describeOut = await cluster.kubectl(['-n', NS, 'describe', 'deployment', 'scale-me']);
      assert.match(describeOut, /Normal\s+LoadIncrease\s+.*\(x5 over .*\)\s+inferno-scaler\s+scaling up from 1 to 3/);
      assert.match(await cluster.kubectl(['-n', NS, 'describe', 'optimizer', 'granite-13b']), /AcceleratorChange\s+.*inferno-scaler\s+A100 → H100/);
    });
  });

  describe('samples/autoscaling', () => {
    const Hpa = z.object({
      spec: z.object({
        scaleTargetRef: z.object({ name: z.string() }),
        metrics: z.array(z.object({ type: z.literal('External'), external: z.object({ metric: z.object({ name: z.string(), selector: z.object({ matchLabels: z.record(z.string(), z.string()) }) }), target: z.object({ type: z.string(), averageValue: z.string() }) }) })),
      }),
    });
    const Keda = z.object({
      spec: z.object({
        scaleTargetRef: z.object({ name: z.string() }),
        triggers: z.array(z.object({ type: z.string(), metricType: z.string(), metadata: z.record(z.string(), z.string()) })),
      }),
    });

    it('the HPA passes inferno_desired_replicas through and passes server-side dry-run', async () => {
      const text = await readFile(file('samples', 'autoscaling', 'hpa.yaml'), 'utf8');
      const hpa = Hpa.parse(parseYaml(text));
      const m = hpa.spec.metrics[0]!.external;
      assert.equal(m.metric.name, ScalerMetric.desiredReplicas);
      assert.deepEqual(m.metric.selector.matchLabels, { variant_name: hpa.spec.scaleTargetRef.name });
      assert.deepEqual(m.target, { type: 'AverageValue', averageValue: '1' });
      const out = await cluster.kubectl(['apply', '--dry-run=server', '-n', NS, '-f', file('samples', 'autoscaling', 'hpa.yaml')]);
      assert.match(out, /horizontalpodautoscaler.autoscaling\/granite-13b created \(server dry run\)/);
      // the dry run does validate: a broken copy is refused
      await assert.rejects(cluster.kubectl(['apply', '--dry-run=server', '-n', NS, '-f', '-'], { input: text.replace('averageValue: "1"', 'averageValue: "one"') }), /quantities must match|invalid|unable to parse/i);
    });

    it('the KEDA ScaledObject queries inferno_desired_replicas and passes dry-run against a minimal ScaledObject CRD', async () => {
      const text = await readFile(file('samples', 'autoscaling', 'keda-scaledobject.yaml'), 'utf8');
      const so = Keda.parse(parseYaml(text));
      const t = so.spec.triggers[0]!;
      assert.equal(t.type, 'prometheus');
      assert.equal(t.metricType, 'AverageValue');
      assert.equal(t.metadata['threshold'], '1');
      assert.equal(t.metadata['ignoreNullValues'], 'false', 'an empty result is an error, not zero');
      assert.ok(t.metadata['query']?.includes(`${ScalerMetric.desiredReplicas}{variant_name="${so.spec.scaleTargetRef.name}"`), t.metadata['query']);
      await cluster.kubectl(['apply', '-f', file('test', 'e2e', 'fixtures', 'keda-scaledobject-crd.yaml')]);
      await cluster.kubectl(['wait', '--for=condition=Established', 'crd/scaledobjects.keda.sh', '--timeout=30s']);
      const out = await cluster.kubectl(['apply', '--dry-run=server', '-n', NS, '-f', file('samples', 'autoscaling', 'keda-scaledobject.yaml')]);
      assert.match(out, /scaledobject.keda.sh\/granite-13b created \(server dry run\)/);
      await assert.rejects(cluster.kubectl(['apply', '--dry-run=server', '-n', NS, '-f', '-'], { input: text.replace('metricType: AverageValue', 'metricType: Bogus') }), /Unsupported value: "Bogus"/);
    });
  });
});
