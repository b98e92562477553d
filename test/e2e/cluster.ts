// A real, local Kubernetes control plane for inferno's end-to-end tests.
//
// Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods
// become Running/Ready) as local processes on 127.0.0.1, with fresh PKI in a temporary directory, and
// creates fake GPU nodes from test/e2e/fixtures/gpu-nodes.yaml. The binaries come from
// `npm run cluster:build` (test/e2e/build-cluster.sh). Recipe, flags and start-up order:
// /work/shared/spec/test-control-plane.md §§2-7.
//
// No orphans: every component runs under test/e2e/supervise.sh in its own process group. The
// supervisor stops its component when it gets SIGTERM, or when its stdin pipe (held by this process)
// reaches EOF, which the kernel guarantees when this process dies, even by SIGKILL. A "janitor"
// supervisor removes the temporary directory in the same way. `stop()` is the normal path; an
// 'exit' handler, SIGINT/SIGTERM handlers and a parent-death watchdog cover the abnormal ones.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

const execFileAsync = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SUPERVISOR = path.join(HERE, 'supervise.sh');
export const DEFAULT_NODE_FIXTURE = path.join(HERE, 'fixtures', 'gpu-nodes.yaml');
export const REPO_ROOT = path.resolve(HERE, '..', '..');

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kwok', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];
const BINARIES = [...COMPONENTS, 'kubectl'] as const;

/** Node label that kwok selects on; every fixture node carries it. */
export const KWOK_NODE_LABEL = { key: 'type', value: 'kwok' } as const;

export interface ClusterOptions {
  /** Folder with the binaries; default: $INFERNO_E2E_BIN, else the folder recorded by `npm run cluster:build`. */
  readonly binDir?: string;
  /** Node pool fixture (YAML, see fixtures/gpu-nodes.yaml). */
  readonly nodeFixture?: string;
  /**
   * Extra top-level fields of the KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), e.g.
   * `{ extenders: [{ urlPrefix: 'http://127.0.0.1:18443/scheduler', filterVerb: 'filter', ... }] }`.
   * `clientConnection` and `leaderElection` are set by the harness.
   */
  readonly schedulerConfig?: Readonly<Record<string, unknown>>;
  /** Extra kube-apiserver flags, e.g. `['--disable-admission-plugins=ServiceAccount']`. */
  readonly apiserverArgs?: readonly string[];
  /** Keep the temporary directory after stop() (also: INFERNO_E2E_KEEP=1). */
  readonly keepWorkdir?: boolean;
  /** Progress output; default: stderr with elapsed time. */
  readonly log?: (message: string) => void;
}

export interface FakeNode {
  readonly name: string;
  readonly pool: string;
  readonly resource: string;
  readonly devices: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Cluster {
  readonly workdir: string;
  readonly binDir: string;
  /** Admin (system:masters) kubeconfig. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Every TCP port the control plane listens on (etcd client + peer, apiserver, kcm, scheduler, kwok). */
  readonly ports: Readonly<Record<Component | 'etcd-peer', number>>;
  readonly nodes: readonly FakeNode[];
  /** PIDs of the supervisors and components still running. */
  pids(): number[];
  /** Runs the cluster's kubectl with the admin kubeconfig; resolves to stdout, rejects with stderr. */
  kubectl(args: readonly string[], options?: { readonly input?: string; readonly timeoutMs?: number; readonly cwd?: string }): Promise<string>;
  /** `kubectl ... -o json`, parsed. */
  kubectlJson(args: readonly string[]): Promise<unknown>;
  /** Last lines of a component's log. */
  logTail(component: Component, lines?: number): string;
  /**
   * A TLS serving certificate for 127.0.0.1/localhost signed by the cluster CA, for servers the API
   * server calls (admission webhooks: `clientConfig.url: https://127.0.0.1:<port>/...`, `caBundle: ca`).
   */
  issueServingCert(name: string): Promise<{ readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer }>;
  /** Stops every process (reverse start order, by PID) and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Binaries

export function cacheRoot(): string {
  const env = process.env;
  if (env['INFERNO_E2E_CACHE']) return env['INFERNO_E2E_CACHE'];
  return path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'inferno-e2e');
}

export function findBinDir(explicit?: string): string {
  const fromEnv = process.env['INFERNO_E2E_BIN'];
  let dir = explicit ?? fromEnv;
  if (dir === undefined) {
    const pointer = path.join(cacheRoot(), 'current');
    if (!existsSync(pointer)) {
      throw new Error(`no control-plane binaries: ${pointer} is missing; run \`npm run cluster:build\` first`);
    }
    dir = readFileSync(pointer, 'utf8').trim();
  }
  const missing = [...BINARIES, 'kwok-stages.yaml'].filter((b) => !existsSync(path.join(dir, b)));
  if (missing.length > 0) {
    throw new Error(`incomplete binary folder ${dir} (missing ${missing.join(', ')}); run \`npm run cluster:build\``);
  }
  return dir;
}

/** The helm binary of `npm run helm:build`: $INFERNO_E2E_HELM, else the path recorded in <cache>/helm-current. */
export function findHelm(): string {
  let file = process.env['INFERNO_E2E_HELM'];
  if (file === undefined) {
    const pointer = path.join(cacheRoot(), 'helm-current');
    if (!existsSync(pointer)) throw new Error(`no helm: ${pointer} is missing; run \`npm run helm:build\` first`);
    file = readFileSync(pointer, 'utf8').trim();
  }
  if (!existsSync(file)) throw new Error(`no helm at ${file}; run \`npm run helm:build\``);
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

/**
 * `count` distinct free TCP ports on 127.0.0.1 (bind to :0, read, close), as kwokctl's GetUnusedPort
 * does. All listeners stay open until every port is known, so the ports are distinct.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.unref();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            resolve(server);
          });
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
    return address.port;
  });
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
  return ports;
}

/** True when nothing listens on 127.0.0.1:<port> (we can bind it ourselves). */
export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Polls `probe` every `intervalMs` until it returns true; rejects after `timeoutMs` with the last error. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 60_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not ready';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${last}`);
    await sleep(intervalMs);
  }
}

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** GET over http or https (TLS verified against `ca`), loopback only, with a short timeout. */
export async function httpGet(url: string, tls?: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<HttpResult> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost') {
    throw new Error(`refusing non-loopback request to ${url}`);
  }
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    };
    const req =
      target.protocol === 'https:'
        ? https.get(target, { agent: false, timeout: 5_000, ...(tls ?? {}) }, onResponse)
        : http.get(target, { agent: false, timeout: 5_000 }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------
// Fake GPU nodes

const PoolSchema = z.object({
  namePrefix: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  count: z.number().int().min(1),
  resource: z.string().min(1),
  devices: z.number().int().min(1),
  cpu: z.string().default('64'),
  memory: z.string().default('512Gi'),
  pods: z.string().default('110'),
  labels: z.record(z.string(), z.string()).default({}),
});
const FixtureSchema = z.object({ pools: z.array(PoolSchema).min(1) });

export function loadNodeFixture(file: string = DEFAULT_NODE_FIXTURE): { nodes: FakeNode[]; manifests: object[] } {
  const fixture = FixtureSchema.parse(parseYaml(readFileSync(file, 'utf8')));
  const nodes: FakeNode[] = [];
  const manifests: object[] = [];
  for (const pool of fixture.pools) {
    for (let i = 0; i < pool.count; i++) {
      const name = `${pool.namePrefix}-${i}`;
      const labels: Record<string, string> = {
        ...pool.labels,
        [KWOK_NODE_LABEL.key]: KWOK_NODE_LABEL.value,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'inferno.llmd.ai/pool': pool.namePrefix,
      };
      const resources = { cpu: pool.cpu, memory: pool.memory, pods: pool.pods, [pool.resource]: String(pool.devices) };
      nodes.push({ name, pool: pool.namePrefix, resource: pool.resource, devices: pool.devices, labels });
      manifests.push({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' } },
        spec: {},
        // kwok's node-initialize stage keeps capacity/allocatable that are already set.
        status: {
          capacity: resources,
          allocatable: resources,
          nodeInfo: {
            architecture: 'amd64',
            operatingSystem: 'linux',
            kubeletVersion: 'fake',
            kubeProxyVersion: 'fake',
            containerRuntimeVersion: '',
            kernelVersion: '',
            osImage: '',
            machineID: '',
            bootID: '',
            systemUUID: '',
          },
          phase: 'Running',
        },
      });
    }
  }
  return { nodes, manifests };
}

// ---------------------------------------------------------------------------------------------------
// Processes

interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  exited: boolean;
  readonly exit: Promise<void>;
}

const live = new Set<Supervised>();
let guardsInstalled = false;

/** Synchronous last-resort kill of every process group we started (used from 'exit' and signal handlers). */
function killAllSync(): void {
  for (const proc of live) {
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

function installGuards(): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllSync();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
  // Parent-death watchdog: if the test runner that spawned this file's process dies (even by SIGKILL),
  // we are re-parented; stop everything and exit instead of running on as an orphan.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      killAllSync();
      process.exit(1);
    }
  }, 500).unref();
}

function superviseSpawn(name: string, args: readonly string[], logFile: string): Supervised {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // detached: own session and process group, so a group kill reaches the supervisor and its child.
    child = spawn(SUPERVISOR, args, { detached: true, stdio: ['pipe', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`failed to start ${name}`);
  const proc: Supervised = {
    name,
    child,
    pid,
    exited: false,
    exit: new Promise<void>((resolve) => {
      child.once('exit', () => {
        proc.exited = true;
        live.delete(proc);
        resolve();
      });
    }),
  };
  // Never written to: the pipe only signals our death (EOF) to the supervisor.
  child.stdin?.on('error', () => undefined);
  live.add(proc);
  return proc;
}

async function stopProcess(proc: Supervised, timeoutMs = 15_000): Promise<void> {
  if (proc.exited) return;
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // gone already
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    proc.exit.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(true);
      }, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await proc.exit;
  }
}

// ---------------------------------------------------------------------------------------------------
// PKI and config files

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  await execFileAsync('openssl', args, { cwd });
}

/** kwok's single-certificate pattern: one CA, one admin cert (system:masters, server+client, loopback SANs). */
async function generatePki(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30',
      '-subj', '/CN=inferno-e2e-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  await openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'admin.key', '-out', 'admin.csr',
      '-subj', '/O=system:masters/CN=inferno-e2e-admin'],
    dir,
  );
  await writeFile(
    path.join(dir, 'admin.ext'),
    'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,' +
      'DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1\n' +
      'extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  await openssl(
    ['x509', '-req', '-in', 'admin.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30',
      '-out', 'admin.crt', '-extfile', 'admin.ext'],
    dir,
  );
}

function kubeconfigYaml(server: string, pki: string): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'inferno-e2e', cluster: { server, 'certificate-authority': path.join(pki, 'ca.crt') } }],
    users: [
      {
        name: 'admin',
        user: { 'client-certificate': path.join(pki, 'admin.crt'), 'client-key': path.join(pki, 'admin.key') },
      },
    ],
    contexts: [{ name: 'inferno-e2e', context: { cluster: 'inferno-e2e', user: 'admin', namespace: 'default' } }],
    'current-context': 'inferno-e2e',
  });
}

// ---------------------------------------------------------------------------------------------------
// The cluster

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const t0 = Date.now();
  const log =
    options.log ??
    ((message: string): void => {
      process.stderr.write(`[e2e cluster ${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}\n`);
    });
  const binDir = findBinDir(options.binDir);
  const bin = (name: (typeof BINARIES)[number]): string => path.join(binDir, name);
  installGuards();

  const workdir = await mkdtemp(path.join(os.tmpdir(), 'inferno-e2e-'));
  const keep = options.keepWorkdir ?? process.env['INFERNO_E2E_KEEP'] === '1';
  const pki = path.join(workdir, 'pki');
  const logs = path.join(workdir, 'logs');
  await mkdir(logs, { recursive: true });
  const pidFile = path.join(workdir, 'pids');
  await writeFile(pidFile, '');
  const started: Supervised[] = [];
  const janitor = keep ? undefined : superviseSpawn('janitor', ['janitor', workdir], '/dev/null');

  const caFile = path.join(pki, 'ca.crt');
  const certFile = path.join(pki, 'admin.crt');
  const keyFile = path.join(pki, 'admin.key');
  const kubeconfig = path.join(workdir, 'admin.kubeconfig');
  const logPath = (name: Component): string => path.join(logs, `${name}.log`);

  const logTail = (component: Component, lines = 40): string => {
    try {
      return readFileSync(logPath(component), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Reverse start order; the leaves (scheduler, kcm, kwok) can stop together.
      const leaves = started.filter((p) => p.name !== 'etcd' && p.name !== 'kube-apiserver');
      await Promise.all(leaves.map((p) => stopProcess(p)));
      for (const name of ['kube-apiserver', 'etcd']) {
        const proc = started.find((p) => p.name === name);
        if (proc) await stopProcess(proc);
      }
      if (!keep) await rm(workdir, { recursive: true, force: true });
      if (janitor) await stopProcess(janitor);
      log(keep ? `stopped; kept ${workdir}` : 'stopped; temporary directory removed');
    })();
    return stopped;
  };

  const launch = async (name: Component, args: readonly string[]): Promise<Supervised> => {
    log(`starting ${name}`);
    const proc = superviseSpawn(name, ['run', bin(name), ...args], logPath(name));
    started.push(proc);
    await appendFile(pidFile, `${proc.pid}\n`);
    return proc;
  };

  /** Waits for readiness, failing fast (with the log tail) if the component exits. */
  const ready = async (proc: Supervised, what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> => {
    const died = proc.exit.then(() => {
      throw new Error(`${proc.name} exited during start-up`);
    });
    died.catch(() => undefined); // observed below; never an unhandled rejection if it exits later
    try {
      await Promise.race([waitFor(what, probe, { timeoutMs, intervalMs: 150 }), died]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${message}\n--- ${proc.name} log (tail) ---\n${logTail(proc.name as Component)}`, { cause: error });
    }
    log(`${what}: ready`);
  };

  const kubectl = async (
    args: readonly string[],
    opts: { readonly input?: string; readonly timeoutMs?: number; readonly cwd?: string } = {},
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn(bin('kubectl'), [`--kubeconfig=${kubeconfig}`, `--cache-dir=${path.join(workdir, 'kubectl-cache')}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: opts.timeoutMs ?? 120_000,
        ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new Error(`kubectl ${args.join(' ')} failed (${String(code)}): ${Buffer.concat(err).toString('utf8').trim()}`));
      });
      child.stdin.end(opts.input ?? '');
    });
  const kubectlJson = async (args: readonly string[]): Promise<unknown> =>
    JSON.parse(await kubectl([...args, '-o', 'json'])) as unknown;

  try {
    const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
    if (
      etcdPort === undefined || etcdPeer === undefined || apiPort === undefined ||
      kcmPort === undefined || schedPort === undefined || kwokPort === undefined
    ) {
      throw new Error('port allocation failed');
    }
    const ports = {
      etcd: etcdPort,
      'etcd-peer': etcdPeer,
      'kube-apiserver': apiPort,
      'kube-controller-manager': kcmPort,
      'kube-scheduler': schedPort,
      kwok: kwokPort,
    };
    const server = `https://127.0.0.1:${apiPort}`;

    // 0. PKI and kubeconfig
    await generatePki(pki);
    await writeFile(kubeconfig, kubeconfigYaml(server, pki));
    const tls = { ca: readFileSync(caFile) };

    // 1. etcd
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = await launch('etcd', [
      '--name=node0',
      `--data-dir=${path.join(workdir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=node0=${peerUrl}`,
      '--unsafe-no-fsync=true',
      '--auto-compaction-retention=1',
      '--quota-backend-bytes=8589934592',
      '--log-level=warn',
    ]);
    await ready(etcd, 'etcd /health', async () => {
      const res = await httpGet(`${etcdUrl}/health`);
      return res.status === 200 && res.body.includes('"true"');
    }, 30_000);

    // 2. kube-apiserver (default admission plugins, which include the webhook ones)
    const apiserver = await launch('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      '--etcd-prefix=/registry',
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(workdir, 'apiserver-certs')}`,
      `--tls-cert-file=${certFile}`,
      `--tls-private-key-file=${keyFile}`,
      `--client-ca-file=${caFile}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${keyFile}`,
      `--service-account-signing-key-file=${keyFile}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook',
      ...(options.apiserverArgs ?? []),
    ]);
    await ready(apiserver, 'kube-apiserver /readyz', async () => {
      const res = await httpGet(`${server}/readyz`, tls);
      if (res.status !== 200) throw new Error(`/readyz ${res.status}: ${res.body.slice(0, 500)}`);
      return true;
    }, 120_000);

    // 6. fake GPU nodes (created with status), then kwok
    const { nodes, manifests } = loadNodeFixture(options.nodeFixture);
    await kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }) });
    // Only the Stage objects go into kwok's --config: a KwokConfiguration read from a file is not
    // defaulted (zero parallelism), so its options are passed as flags, where defaults apply.
    const kwokConfig = readFileSync(path.join(binDir, 'kwok-stages.yaml'), 'utf8');
    await writeFile(path.join(workdir, 'kwok.yaml'), kwokConfig);
    const kwok = await launch('kwok', [
      `--kubeconfig=${kubeconfig}`,
      `--config=${path.join(workdir, 'kwok.yaml')}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-label-selector=${KWOK_NODE_LABEL.key}=${KWOK_NODE_LABEL.value}`,
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.0/16',
      '--node-ip=127.0.0.1',
      `--node-port=${kwokPort}`,
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    await ready(kwok, 'kwok /healthz', async () => (await httpGet(`http://127.0.0.1:${kwokPort}/healthz`)).status === 200, 30_000);
    await ready(kwok, `${nodes.length} fake nodes Ready`, async () => {
      const list = NodeListSchema.parse(await kubectlJson(['get', 'nodes', '-l', `${KWOK_NODE_LABEL.key}=${KWOK_NODE_LABEL.value}`]));
      const readyCount = list.items.filter((n) =>
        n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      return readyCount === nodes.length;
    }, 60_000);

    // 7. kube-controller-manager, after the nodes are Ready (no not-ready taint churn)
    const componentTls = [
      `--tls-cert-file=${certFile}`,
      `--tls-private-key-file=${keyFile}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics',
      '--bind-address=127.0.0.1',
    ];
    const kcm = await launch('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      `--secure-port=${kcmPort}`,
      ...componentTls,
      '--leader-elect=false',
      `--root-ca-file=${caFile}`,
      `--service-account-private-key-file=${keyFile}`,
      '--controllers=*',
    ]);
    await ready(kcm, 'kube-controller-manager /healthz', async () =>
      (await httpGet(`https://127.0.0.1:${kcmPort}/healthz`, tls)).status === 200, 60_000);

    // 8. kube-scheduler with a configurable KubeSchedulerConfiguration
    const schedulerConfig = {
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      ...(options.schedulerConfig ?? {}),
      clientConnection: { kubeconfig },
      leaderElection: { leaderElect: false },
    };
    const schedulerConfigFile = path.join(workdir, 'kube-scheduler.yaml');
    await writeFile(schedulerConfigFile, stringifyYaml(schedulerConfig));
    const scheduler = await launch('kube-scheduler', [
      `--config=${schedulerConfigFile}`,
      `--secure-port=${schedPort}`,
      ...componentTls,
    ]);
    await ready(scheduler, 'kube-scheduler /readyz', async () =>
      (await httpGet(`https://127.0.0.1:${schedPort}/readyz`, tls)).status === 200, 60_000);

    // The ServiceAccount admission plugin needs default/default before pods can be created.
    await waitFor('serviceaccount default/default', async () => {
      await kubectl(['get', 'serviceaccount', 'default', '-n', 'default']);
      return true;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    log(`control plane up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${server}, kubeconfig ${kubeconfig}`);

    return {
      workdir,
      binDir,
      kubeconfig,
      server,
      caFile,
      certFile,
      keyFile,
      ports,
      nodes,
      pids: () =>
        [...started, ...(janitor ? [janitor] : [])]
          .filter((p) => !p.exited)
          .flatMap((p) => [p.pid, ...childPids(p.pid)]),
      kubectl,
      kubectlJson,
      logTail,
      issueServingCert: async (name: string) => {
        const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
        const dir = path.join(workdir, 'serving', safe);
        await mkdir(dir, { recursive: true });
        await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', `/CN=${safe}`], dir);
        await writeFile(
          path.join(dir, 'tls.ext'),
          'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
        );
        await openssl(
          ['x509', '-req', '-in', 'tls.csr', '-CA', caFile, '-CAkey', path.join(pki, 'ca.key'), '-CAcreateserial',
            '-CAserial', path.join(dir, 'ca.srl'), '-days', '30', '-out', 'tls.crt', '-extfile', 'tls.ext'],
          dir,
        );
        return {
          cert: readFileSync(path.join(dir, 'tls.crt')),
          key: readFileSync(path.join(dir, 'tls.key')),
          ca: readFileSync(caFile),
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const NodeListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      status: z.object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).default([]) }),
    }),
  ),
});

/** Direct children of a process (from /proc), e.g. the component under its supervisor. */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------------
// ServiceAccount credentials

export interface ServiceAccountKubeconfig {
  /** the kubeconfig file (mode 0600) */
  readonly file: string;
  readonly token: string;
  /** the same credentials for another address of the API server (e.g. a relay in front of it), as YAML */
  yamlFor(server: string): string;
}

/**
 * A kubeconfig with a token of ServiceAccount `namespace/name` (`kubectl create token`): a process run with it has
 * exactly the RBAC deploy/ grants that account, not the admin's. Its context's namespace is `namespace`.
 */
export async function serviceAccountKubeconfig(
  cluster: Cluster,
  account: { readonly namespace: string; readonly name: string },
  file: string,
  duration = '2h',
): Promise<ServiceAccountKubeconfig> {
  const token = (await cluster.kubectl(['create', 'token', account.name, '-n', account.namespace, `--duration=${duration}`])).trim();
  const yamlFor = (server: string): string =>
    stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': cluster.caFile } }],
      users: [{ name: account.name, user: { token } }],
      contexts: [{ name: account.name, context: { cluster: 'e2e', user: account.name, namespace: account.namespace } }],
      'current-context': account.name,
    });
  await writeFile(file, yamlFor(cluster.server), { mode: 0o600 });
  return { file, token, yamlFor };
}
