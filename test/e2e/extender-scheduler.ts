// A second real kube-scheduler next to the harness's default one, for the extender tests: it runs the cluster's
// kube-scheduler binary with a KubeSchedulerConfiguration of the caller's (e.g. deploy/scheduler/'s, pointed at a
// local `inferno serve`), under test/e2e/supervise.sh so it cannot outlive the test run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, waitFor } from './cluster.js';

const SUPERVISOR = path.join(REPO_ROOT, 'test', 'e2e', 'supervise.sh');

export interface Supervised {
  readonly name: string;
  readonly log: string;
  logTail(lines?: number): string;
  /** resolves when the supervisor exits */
  readonly exited: Promise<void>;
  /** closes the supervisor's stdin (it then stops its child) and waits for it to exit */
  stop(): Promise<void>;
}

/** Runs `argv` under the supervisor, logging to <workdir>/<name>.log. */
export function supervise(cluster: Cluster, name: string, argv: readonly string[]): Supervised {
  const log = path.join(cluster.workdir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn('bash', [SUPERVISOR, 'run', ...argv], { stdio: ['pipe', fd, fd] });
  child.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((ok) => child.once('exit', () => { ok(); }));
  let stopping: Promise<void> | undefined;
  return {
    name,
    log,
    exited,
    logTail: (lines = 40) => {
      try {
        return readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.stdin?.end();
          await exited;
        }
      })();
      return stopping;
    },
  };
}

/**
 * Starts kube-scheduler with `config` (a KubeSchedulerConfiguration; clientConnection is set here to `kubeconfig`,
 * default the admin one; leader election is off unless the config has a leaderElection) and waits for /readyz.
 */
export async function startScheduler(cluster: Cluster, name: string, config: Record<string, unknown>, kubeconfig = cluster.kubeconfig): Promise<Supervised> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  const file = path.join(cluster.workdir, `${name}.yaml`);
  await writeFile(file, stringifyYaml({ leaderElection: { leaderElect: false }, ...config, clientConnection: { kubeconfig } }));
  const proc = supervise(cluster, name, [
    path.join(cluster.binDir, 'kube-scheduler'), `--config=${file}`, `--secure-port=${port}`, '--bind-address=127.0.0.1',
    `--tls-cert-file=${cluster.certFile}`, `--tls-private-key-file=${cluster.keyFile}`,
    `--authentication-kubeconfig=${cluster.kubeconfig}`, `--authorization-kubeconfig=${cluster.kubeconfig}`,
    '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics', '-v=2',
  ]);
  const ca = readFileSync(cluster.caFile);
  try {
    const died = proc.exited.then(() => { throw new Error(`${name} exited during start-up`); });
    died.catch(() => undefined);
    await Promise.race([died, waitFor(`${name} /readyz`, async () => (await httpGet(`https://127.0.0.1:${port}/readyz`, { ca })).status === 200, { timeoutMs: 60_000, intervalMs: 200 })]);
  } catch (e) {
    await proc.stop();
    throw new Error(`${String(e)}\n--- ${name} log ---\n${proc.logTail()}`, { cause: e });
  }
  return proc;
}
