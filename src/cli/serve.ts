// `inferno serve`: the composition root of the admission webhook server — certificates from disk, the cluster view,
// the routes, metrics, HTTPS, and the shutdown sequence on SIGTERM/SIGINT.
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { startHttpsServer } from '../http/https-server.js';
import { createAdmissionMetrics } from '../metrics/admission.js';
import { loadScenarioView } from '../io/scenario-view.js';
import { createWebhookApp } from '../http/webhook-app.js';
import type { WebhookLog } from '../http/webhook-app.js';
import { WebhookPath, createAdmissionRoutes } from '../webhook/handlers.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { emptySnapshot, staticView } from '../cluster/snapshot.js';
import { CertFile } from './certs.js';
import type { Io } from './usage.js';
import { UsageError, parseCommandArgs } from './usage.js';

export const serveHelp = `Usage: inferno serve [--port N] [--host H] [--cert-dir DIR] [--no-kube | --kubeconfig PATH] [options]

Runs the admission webhook server over HTTPS: POST ${Object.values(WebhookPath).join(', ')}
(AdmissionReview v1), GET /healthz, /readyz and /metrics (Prometheus). The certificate (DIR/tls.crt, DIR/tls.key,
see 'inferno certs') is reloaded when the files change. SIGTERM or SIGINT: /readyz turns 503, requests keep being
served for the drain time, then the server closes, cutting connections still open after the grace time.

Options:
      --port N                 port to listen on (default: 8443; 0 picks a free one)
      --host H                 address to bind (default: 0.0.0.0)
      --cert-dir DIR           directory with tls.crt and tls.key (default: certs/)
      --no-kube                serve without a cluster: an empty cluster view (tests, benchmarks)
      --scenario FILE          serve without a cluster, deciding from the objects in a scenario file (see
                               'inferno plan --help'): local trials of the full admission path
      --kubeconfig PATH        kubeconfig to use (default: in-cluster config, $KUBECONFIG or ~/.kube/config)
      --drain-seconds N        keep serving this long after the signal, while endpoints update (default: 3)
      --grace-seconds N        then wait at most this long for open requests (default: 10)
      --inject-ca-bundle       at start, set clientConfig.caBundle of the webhook configurations below to DIR/ca.crt
      --mutating-config NAME   MutatingWebhookConfiguration to patch (default: inferno-webhook)
      --validating-config NAME ValidatingWebhookConfiguration to patch (default: inferno-webhook)
      --no-scaler              do not run the periodic scaler (default: it runs when a cluster is used, on the
                               replica that holds the Lease inferno-scaler in --namespace)
      --namespace NS           inferno's own namespace: the scaler's Lease (default: $POD_NAMESPACE, else
                               inferno-system)
      --prometheus URL         Prometheus base URL the scaler reads vLLM metrics from; without it the scaler holds
                               every Deployment and says so in each Optimizer's status
      --prometheus-bearer-token-file FILE, --prometheus-ca-file FILE
                               credentials for Prometheus
      --lease-duration-seconds N
                               how long a Lease holder may be silent before another replica takes over (default 15)
  -h, --help                   this help

Logs are JSON lines on stderr. Exit codes: 0 stopped by a signal, 2 usage, 1 failure.
`;

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  'cert-dir': { type: 'string' },
  'no-kube': { type: 'boolean' },
  scenario: { type: 'string' },
  kubeconfig: { type: 'string' },
  'drain-seconds': { type: 'string' },
  'grace-seconds': { type: 'string' },
  'inject-ca-bundle': { type: 'boolean' },
  'mutating-config': { type: 'string' },
  'validating-config': { type: 'string' },
  'no-scaler': { type: 'boolean' },
  namespace: { type: 'string' },
  prometheus: { type: 'string' },
  'prometheus-bearer-token-file': { type: 'string' },
  'prometheus-ca-file': { type: 'string' },
  'lease-duration-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function wholeNumber(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) throw new UsageError(`--${flag} must be a whole number from 0 to ${max}; got "${value}"`, 'serve');
  return n;
}

export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly certDir: string;
  /** undefined: no cluster (--no-kube, --scenario) */
  readonly kube: { readonly kubeconfig: string | undefined } | undefined;
  /** --scenario: a static cluster view from this file */
  readonly scenario: string | undefined;
  readonly drainMs: number;
  readonly graceMs: number;
  readonly injectCaBundle: { readonly mutating: string; readonly validating: string } | undefined;
  /** undefined: no scaler (--no-scaler, or no cluster) */
  readonly scaler: {
    readonly namespace: string;
    readonly prometheus: { readonly url: string; readonly bearerTokenFile?: string; readonly caFile?: string } | undefined;
    readonly leaseDurationMs: number;
  } | undefined;
}

function scalerConfig(v: ReturnType<typeof parseCommandArgs<typeof options>>['values'], cwd: string, env: Readonly<Record<string, string | undefined>>): ServeConfig['scaler'] {
  const url = v.prometheus;
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--prometheus must be an http(s) URL; got "${url}"`, 'serve');
  const file = (f: string | undefined): string | undefined => (f !== undefined ? resolve(cwd, f) : undefined);
  const token = file(v['prometheus-bearer-token-file']);
  const ca = file(v['prometheus-ca-file']);
  const leaseS = wholeNumber('lease-duration-seconds', v['lease-duration-seconds'], 15, 3600);
  if (leaseS < 2) throw new UsageError('--lease-duration-seconds must be at least 2', 'serve');
  return {
    namespace: v.namespace ?? env['POD_NAMESPACE'] ?? 'inferno-system',
    prometheus: url !== undefined ? { url, ...(token !== undefined ? { bearerTokenFile: token } : {}), ...(ca !== undefined ? { caFile: ca } : {}) } : undefined,
    leaseDurationMs: leaseS * 1000,
  };
}

export function parseServeArgs(args: readonly string[], cwd: string, env: Readonly<Record<string, string | undefined>> = {}): ServeConfig | 'help' {
  const { values: v } = parseCommandArgs('serve', args, options);
  if (v.help === true) return 'help';
  const noKube = v['no-kube'] === true || v.scenario !== undefined;
  if (noKube && (v.kubeconfig !== undefined || v['inject-ca-bundle'] === true)) {
    throw new UsageError(`${v.scenario !== undefined ? '--scenario' : '--no-kube'} cannot be combined with --kubeconfig or --inject-ca-bundle`, 'serve');
  }
  return {
    port: wholeNumber('port', v.port, 8443, 65535),
    host: v.host ?? '0.0.0.0',
    certDir: resolve(cwd, v['cert-dir'] ?? 'certs'),
    kube: noKube ? undefined : { kubeconfig: v.kubeconfig !== undefined ? resolve(cwd, v.kubeconfig) : undefined },
    scenario: v.scenario !== undefined ? resolve(cwd, v.scenario) : undefined,
    drainMs: wholeNumber('drain-seconds', v['drain-seconds'], 3, 300) * 1000,
    graceMs: wholeNumber('grace-seconds', v['grace-seconds'], 10, 300) * 1000,
    injectCaBundle: v['inject-ca-bundle'] === true
      ? { mutating: v['mutating-config'] ?? 'inferno-webhook', validating: v['validating-config'] ?? 'inferno-webhook' }
      : undefined,
    scaler: noKube || v['no-scaler'] === true ? undefined : scalerConfig(v, cwd, env),
  };
}

export function jsonLog(out: Io['stderr']): WebhookLog {
  return (level, msg, fields = {}) => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

// client-node takes over a second to import: load it only when a cluster is used, so `inferno plan` and
// `inferno serve --no-kube` do not pay for it.
async function connect(path: string | undefined, log: WebhookLog): Promise<{ kc: KubeConfig; view: ClusterView & { stop(): void } }> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { startClusterView } = await import('../kube/cluster-view.js');
  const { keepAlive } = await import('../kube/keep-alive.js');
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromDefault();
  keepAlive(kc);
  const onError = (what: string, err: unknown): void => {
    // client-node's messages embed response headers and body: keep the start only.
    log('warn', 'cluster watch failed; restarting it', { what, err: (err instanceof Error ? err.message : String(err)).slice(0, 300) });
  };
  return { kc, view: await startClusterView(kc, { onError }) };
}

/** The scaler on this replica: campaigns for the Lease, scales while it holds it; never throws. */
async function startScaler(kc: KubeConfig, view: ClusterView, c: NonNullable<ServeConfig['scaler']>, registry: Registry, log: WebhookLog, stop: AbortSignal): Promise<void> {
  try {
    const [{ runScaler }, { createScalerMetrics }, { prometheusObserver, noPrometheus }] = await Promise.all([
      import('./scaler-runtime.js'), import('../metrics/scaler.js'), import('./observer.js'),
    ]);
    let observe = noPrometheus;
    if (c.prometheus !== undefined) {
      const { createPrometheusClient } = await import('../prometheus/client.js');
      observe = prometheusObserver(await createPrometheusClient({ url: c.prometheus.url, timeoutMs: 10_000, ...(c.prometheus.bearerTokenFile !== undefined ? { bearerTokenFile: c.prometheus.bearerTokenFile } : {}), ...(c.prometheus.caFile !== undefined ? { caFile: c.prometheus.caFile } : {}) }));
    } else {
      log('warn', 'no --prometheus: the scaler will hold every Deployment (MetricsAvailable=False)');
    }
    const leaseDurationMs = c.leaseDurationMs;
    await runScaler({
      kubeConfig: kc, view, namespace: c.namespace, observe, metrics: createScalerMetrics(registry), log,
      leaseTimings: { leaseDurationMs, renewDeadlineMs: Math.round(leaseDurationMs * 2 / 3), retryPeriodMs: Math.max(200, Math.round(leaseDurationMs * 2 / 15)) },
    }, stop);
  } catch (e) {
    log('error', 'the scaler stopped', { err: (e instanceof Error ? e.message : String(e)).slice(0, 300) });
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((ok) => {
  if (ms <= 0 || signal?.aborted === true) {
    ok();
    return;
  }
  const t = setTimeout(ok, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); ok(); }, { once: true });
});

/** Serves until `stop` aborts, then shuts down in order; `hurry` (a second signal) cuts the drain short. */
export async function runServe(config: ServeConfig, io: Io, stop: AbortSignal, hurry?: AbortSignal): Promise<number> {
  const log = jsonLog(io.stderr);
  const certFile = join(config.certDir, CertFile.cert);
  const keyFile = join(config.certDir, CertFile.key);
  for (const f of [certFile, keyFile]) {
    try {
      await access(f);
    } catch {
      throw new UsageError(`${f} not found; create the certificates with 'inferno certs --out ${config.certDir}'`, 'serve');
    }
  }

  const offline = async (): Promise<ClusterView> => (config.scenario !== undefined ? loadScenarioView(config.scenario) : staticView(emptySnapshot));
  const cluster: { kc: KubeConfig | undefined; view: ClusterView & { stop(): void } } = config.kube === undefined
    ? { kc: undefined, view: Object.assign(await offline(), { stop: () => undefined }) }
    : await connect(config.kube.kubeconfig, log);
  const { kc, view } = cluster;
  let draining = false;
  try {
    const registry = new Registry();
    const metrics = createAdmissionMetrics(registry);
    const routes = createAdmissionRoutes({ view });
    const app = createWebhookApp({ routes, metrics, ready: () => !draining && view.ready(), log });
    const server = await startHttpsServer(app, {
      certFile, keyFile, port: config.port, host: config.host,
      onReload: (err) => {
        if (err === undefined) log('info', 'reloaded the serving certificate', { certFile });
        else log('warn', 'kept the previous serving certificate', { certFile, err: err.message });
      },
    });
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    log('info', 'listening', { url: `https://${host}:${server.port}`, port: server.port, routes: routes.map((r) => r.path), cluster: kc !== undefined });

    if (kc !== undefined && config.injectCaBundle !== undefined) {
      // Failing here is logged, not fatal: the bundle may already be right, and a crash-looping webhook would only
      // add an outage to the misconfiguration.
      try {
        const caPem = await readFile(join(config.certDir, CertFile.caCert), 'utf8');
        const { injectCaBundle } = await import('./inject-ca-bundle.js');
        log('info', 'injected the CA bundle', { patched: await injectCaBundle(kc, caPem, config.injectCaBundle) });
      } catch (e) {
        log('error', 'could not inject the CA bundle', { err: (e instanceof Error ? e.message : String(e)).slice(0, 300) });
      }
    }

    const scalerStop = new AbortController();
    const scaler = kc !== undefined && config.scaler !== undefined ? startScaler(kc, view, config.scaler, registry, log, scalerStop.signal) : Promise.resolve();

    if (!stop.aborted) await new Promise<void>((ok) => { stop.addEventListener('abort', () => { ok(); }, { once: true }); });
    // The scaler stops first: its Lease is released so another replica can take over while this one drains.
    scalerStop.abort();
    await scaler;
    draining = true;
    log('info', 'draining', { drainMs: config.drainMs, graceMs: config.graceMs });
    await sleep(config.drainMs, hurry);
    await server.close(hurry?.aborted === true ? 0 : config.graceMs);
    log('info', 'stopped');
    return 0;
  } finally {
    view.stop();
  }
}

export async function serveCommand(args: readonly string[], io: Io): Promise<number> {
  const config = parseServeArgs(args, io.cwd, process.env);
  if (config === 'help') {
    io.stdout.write(serveHelp);
    return 0;
  }
  const stop = new AbortController();
  const hurry = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) hurry.abort();
    else stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await runServe(config, io, stop.signal, hurry.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
