// A real Prometheus (Debian's /usr/bin/prometheus, 2.42) for tests and benchmarks: its own temp dir and TSDB, a
// free loopback port, a file_sd target list the caller rewrites, scrapes every second. Targets carry `namespace`
// and `pod` as target labels, as Kubernetes service discovery would add them. Nothing outlives the caller: the
// process is killed on stop, on the test's end and on process exit, and with setpriv's parent-death signal even when
// the test runner itself is killed with SIGKILL.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const prometheusBin = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';
export const havePrometheus = existsSync(prometheusBin);

export interface Target {
  /** host:port */
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface TestPrometheus {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  setTargets(targets: readonly Target[]): Promise<void>;
  /** Waits until `up` shows `n` targets with up == 1 (bounded). */
  waitForTargets(n: number, timeoutMs?: number): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => { ok(port); });
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });
}

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

export async function getJson(url: string, timeoutMs = 2000): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return res.json();
}

export interface PrometheusTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** to trust it while waiting for readiness */
  readonly caPem: string;
}

/** 200 from an https URL trusting `ca` (fetch cannot take a CA on Node 20). */
function httpsOk(url: string, ca: string): Promise<boolean> {
  return new Promise((ok) => {
    const req = httpsGet(url, { ca, timeout: 1000 }, (res) => { res.resume(); ok(res.statusCode === 200); });
    req.on('error', () => { ok(false); });
    req.on('timeout', () => { req.destroy(); ok(false); });
  });
}

async function isReady(url: string, ca: string | undefined): Promise<boolean> {
  if (ca !== undefined) return httpsOk(url, ca);
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false; // not listening yet
  }
}

/**
 * `port`: listen there (e.g. to restart on the address its clients know) instead of a free one picked here.
 * `parentDir`: where its temporary directory goes (default: the OS's), e.g. a folder something else removes even
 * when the test runner is killed (the e2e cluster's workdir).
 */
export async function startPrometheus(targets: readonly Target[], opts: { scrapeIntervalS?: number; extraArgs?: readonly string[]; tls?: PrometheusTls; port?: number; parentDir?: string } = {}): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'inferno-prom-'));
  const sdFile = join(dir, 'targets.json');
  const setTargets = async (ts: readonly Target[]): Promise<void> => {
    const tmp = `${sdFile}.tmp`;
    await writeFile(tmp, JSON.stringify(ts.map((t) => ({ targets: [t.address], labels: t.labels }))));
    await rename(tmp, sdFile);
  };
  await setTargets(targets);
  const interval = `${opts.scrapeIntervalS ?? 1}s`;
  await writeFile(join(dir, 'prometheus.yml'), [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: vllm',
    '    file_sd_configs:',
    `      - files: [${JSON.stringify(sdFile)}]`,
    '        refresh_interval: 1s',
    '',
  ].join('\n'));
  const tls = opts.tls;
  const webArgs: string[] = [];
  if (tls !== undefined) {
    await writeFile(join(dir, 'tls.crt'), tls.certPem);
    await writeFile(join(dir, 'tls.key'), tls.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: ${join(dir, 'tls.crt')}\n  key_file: ${join(dir, 'tls.key')}\n`);
    webArgs.push(`--web.config.file=${join(dir, 'web.yml')}`);
  }

  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = opts.port ?? await freePort();
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...webArgs, ...(opts.extraArgs ?? []),
    ];
    const useSetpriv = existsSync('/usr/bin/setpriv');
    const child = spawn(useSetpriv ? '/usr/bin/setpriv' : prometheusBin, useSetpriv ? ['--pdeathsig', 'KILL', '--', prometheusBin, ...args] : args, {
      detached: false, stdio: ['ignore', 'ignore', 'pipe'],
    });
    live.add(child);
    killOnExit();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
    const exited = new Promise<void>((ok) => { child.once('exit', () => { live.delete(child); ok(); }); });
    const url = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
      if (await isReady(`${url}/-/ready`, tls?.caPem)) {
        ready = true;
        break;
      }
      await sleep(100);
    }
    let stopped = false;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    };
    if (!ready) {
      lastError = stderr;
      child.kill('SIGKILL');
      await exited;
      continue;
    }
    return {
      url, port, dir, setTargets, stop,
      async waitForTargets(n, timeoutMs = 20_000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const body = await getJson(`${url}/api/v1/query?query=${encodeURIComponent('sum(up)')}`).catch(() => undefined) as { data?: { result?: { value?: [number, string] }[] } } | undefined;
          if (Number(body?.data?.result?.[0]?.value?.[1] ?? 0) >= n) return;
          if (Date.now() > until) throw new Error(`Prometheus did not scrape ${n} targets within ${timeoutMs} ms`);
          await sleep(200);
        }
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`Prometheus did not start: ${lastError}`);
}
