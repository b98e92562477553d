// `inferno serve`: the composition root of the admission webhook server — certificates from disk, the cluster view,
// the routes, metrics, HTTPS, and the shutdown sequence on SIGTERM/SIGINT.
import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import { DefaultNamespace, NamespaceEnv, Webhook } from '../domain/keys.js';
import type { ConnectionLimits } from '../http/https-server.js';
import { defaultConnectionLimits, startHttpsServer } from '../http/https-server.js';
import { createAdmissionMetrics } from '../metrics/admission.js';
import { collectInventoryMetrics } from '../metrics/inventory.js';
import { collectOffloadMetrics, collectProcessMetrics } from '../metrics/process.js';
import { defaultOffloadOptions, startOffload } from '../threads/offload.js';
import { loadScenarioView } from '../io/scenario-view.js';
import { createWebhookApp } from '../http/webhook-app.js';
import type { WebhookLog } from '../http/webhook-app.js';
import { WebhookPath, createAdmissionRoutes } from '../http/admission-routes.js';
import { ExtenderPath } from '../domain/keys.js';
import { AssumedPods } from '../extender/assumed.js';
import { createExtenderRouter, withExtender } from '../http/extender-app.js';
import { createExtenderMetrics } from '../metrics/extender.js';
import type { ClusterView } from '../cluster/snapshot.js';
import { emptySnapshot, staticView } from '../cluster/snapshot.js';
import { CertFile } from '../domain/keys.js';
import type { Io } from './usage.js';
import { UsageError, parseCommandArgs } from './usage.js';

export const serveHelp = `Usage: inferno serve [--port N] [--host H] [--cert-dir DIR] [--no-kube | --kubeconfig PATH] [options]

Runs the admission webhook server over HTTPS: POST ${Object.values(WebhookPath).join(', ')}
(AdmissionReview v1), the scheduler extender's POST ${Object.values(ExtenderPath).join(', ')} (ExtenderArgs; see
deploy/scheduler/), GET /healthz, /readyz and /metrics (Prometheus). The certificate (DIR/tls.crt, DIR/tls.key,
see 'inferno certs') is reloaded when the files change. inferno's ConfigMaps are read from one namespace only
(--namespace); a labelled ConfigMap elsewhere is ignored and denied. Heavy solves and ConfigMap parsing run in a
worker thread, so health checks and other requests never wait for them. SIGTERM or SIGINT: /readyz turns 503,
requests keep being served for the drain time, then the server closes, cutting connections still open after the
grace time.

Options:
      --port N                 port to listen on (default: 8443; 0 picks a free one)
      --host H                 address to bind (default: 0.0.0.0)
      --cert-dir DIR           directory with tls.crt and tls.key (default: certs/)
      --cert-secret NAME       keep the certificate in the Secret NAME in --namespace: created at start-up if absent
                               (a new CA and serving certificate; replicas racing agree on one), renewed when less
                               than a third of its lifetime is left, written into --cert-dir and re-read every
                               --cert-check-seconds. A Secret inferno did not create is used as it is, never rewritten
      --service NAME           the webhook's Service, named in the certificate --cert-secret creates (default: ${Webhook.service})
      --cert-check-seconds N   how often --cert-secret is re-read (default: 10)
      --no-kube                serve without a cluster: an empty cluster view (tests, benchmarks)
      --scenario FILE          serve without a cluster, deciding from the objects in a scenario file (repeatable;
                               a folder stands for its YAML and JSON files; the objects are merged; see
                               'inferno plan --help'): local trials of the full admission path
      --kubeconfig PATH        kubeconfig to use (default: in-cluster config, $KUBECONFIG or ~/.kube/config)
      --namespace NS           where inferno's ConfigMaps live (default: $${NamespaceEnv}, else ${DefaultNamespace})
      --drain-seconds N        keep serving this long after the signal, while endpoints update (default: 3)
      --grace-seconds N        then wait at most this long for open requests (default: 10)
      --headers-timeout-seconds N    close connections whose request headers take longer (default: ${defaultConnectionLimits.headersTimeoutMs / 1000})
      --request-timeout-seconds N    … whose whole request takes longer (default: ${defaultConnectionLimits.requestTimeoutMs / 1000})
      --handshake-timeout-seconds N  … whose TLS handshake takes longer (default: ${defaultConnectionLimits.handshakeTimeoutMs / 1000})
      --max-connections N      refuse connections beyond this many open ones (default: ${defaultConnectionLimits.maxConnections})
      --inject-ca-bundle       set clientConfig.caBundle of the webhook configurations below to DIR/ca.crt, at start
                               and whenever the certificate files change
      --mutating-config NAME   MutatingWebhookConfiguration to patch (default: inferno-webhook)
      --validating-config NAME ValidatingWebhookConfiguration to patch (default: inferno-webhook)
      --no-extender            do not serve the scheduler extender routes (default: served)
      --no-scaler              do not run the periodic scaler (default: it runs when a cluster is used, on the
                               replica that holds the Lease inferno-scaler in --namespace)
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
  'cert-secret': { type: 'string' },
  service: { type: 'string' },
  'cert-check-seconds': { type: 'string' },
  'no-kube': { type: 'boolean' },
  scenario: { type: 'string', multiple: true },
  kubeconfig: { type: 'string' },
  'drain-seconds': { type: 'string' },
  'grace-seconds': { type: 'string' },
  namespace: { type: 'string' },
  'headers-timeout-seconds': { type: 'string' },
  'request-timeout-seconds': { type: 'string' },
  'handshake-timeout-seconds': { type: 'string' },
  'max-connections': { type: 'string' },
  'inject-ca-bundle': { type: 'boolean' },
  'mutating-config': { type: 'string' },
  'validating-config': { type: 'string' },
  extender: { type: 'boolean' },
  'no-extender': { type: 'boolean' },
  'no-scaler': { type: 'boolean' },
  prometheus: { type: 'string' },
  'prometheus-bearer-token-file': { type: 'string' },
  'prometheus-ca-file': { type: 'string' },
  'lease-duration-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function wholeNumber(flag: string, value: string | undefined, fallback: number, max: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max || n < min) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}; got "${value}"`, 'serve');
  return n;
}

// A namespace is a DNS-1123 label.
function namespaceOf(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const ns = flag ?? (env[NamespaceEnv] !== undefined && env[NamespaceEnv] !== '' ? env[NamespaceEnv] : DefaultNamespace);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)) {
    throw new UsageError(`${flag !== undefined ? '--namespace' : `$${NamespaceEnv}`} must be a namespace name (a DNS label); got "${ns.slice(0, 80)}"`, 'serve');
  }
  return ns;
}

export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly certDir: string;
  /** undefined: no cluster (--no-kube, --scenario) */
  readonly kube: { readonly kubeconfig: string | undefined } | undefined;
  /** --scenario: a static cluster view from these files */
  readonly scenario: readonly string[] | undefined;
  readonly drainMs: number;
  readonly graceMs: number;
  /** where inferno's ConfigMaps are read from */
  readonly namespace: string;
  readonly limits: ConnectionLimits;
  readonly injectCaBundle: { readonly mutating: string; readonly validating: string } | undefined;
  /** --cert-secret: the certificate lives in this Secret in `namespace` */
  readonly certSecret: { readonly name: string; readonly service: string; readonly checkMs: number } | undefined;
  /** serve POST /filter and /prioritize for kube-scheduler */
  readonly extender: boolean;
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
    namespace: namespaceOf(v.namespace, env),
    prometheus: url !== undefined ? { url, ...(token !== undefined ? { bearerTokenFile: token } : {}), ...(ca !== undefined ? { caFile: ca } : {}) } : undefined,
    leaseDurationMs: leaseS * 1000,
  };
}

export function parseServeArgs(args: readonly string[], cwd: string, env: Readonly<Record<string, string | undefined>> = {}): ServeConfig | 'help' {
  const { values: v } = parseCommandArgs('serve', args, options);
  if (v.help === true) return 'help';
  const noKube = v['no-kube'] === true || v.scenario !== undefined;
  if (noKube && (v.kubeconfig !== undefined || v['inject-ca-bundle'] === true || v['cert-secret'] !== undefined)) {
    throw new UsageError(`${v.scenario !== undefined ? '--scenario' : '--no-kube'} cannot be combined with --kubeconfig, --inject-ca-bundle or --cert-secret`, 'serve');
  }
  return {
    port: wholeNumber('port', v.port, 8443, 65535),
    host: v.host ?? '0.0.0.0',
    certDir: resolve(cwd, v['cert-dir'] ?? 'certs'),
    kube: noKube ? undefined : { kubeconfig: v.kubeconfig !== undefined ? resolve(cwd, v.kubeconfig) : undefined },
    scenario: v.scenario?.map((f) => resolve(cwd, f)),
    drainMs: wholeNumber('drain-seconds', v['drain-seconds'], 3, 300) * 1000,
    graceMs: wholeNumber('grace-seconds', v['grace-seconds'], 10, 300) * 1000,
    namespace: namespaceOf(v.namespace, env),
    limits: {
      ...defaultConnectionLimits,
      headersTimeoutMs: wholeNumber('headers-timeout-seconds', v['headers-timeout-seconds'], defaultConnectionLimits.headersTimeoutMs / 1000, 300, 1) * 1000,
      requestTimeoutMs: wholeNumber('request-timeout-seconds', v['request-timeout-seconds'], defaultConnectionLimits.requestTimeoutMs / 1000, 300, 1) * 1000,
      handshakeTimeoutMs: wholeNumber('handshake-timeout-seconds', v['handshake-timeout-seconds'], defaultConnectionLimits.handshakeTimeoutMs / 1000, 300, 1) * 1000,
      maxConnections: wholeNumber('max-connections', v['max-connections'], defaultConnectionLimits.maxConnections, 100_000, 1),
    },
    injectCaBundle: v['inject-ca-bundle'] === true
      ? { mutating: v['mutating-config'] ?? Webhook.mutatingConfig, validating: v['validating-config'] ?? Webhook.validatingConfig }
      : undefined,
    certSecret: certSecretConfig(v),
    extender: extenderFlag(v.extender, v['no-extender']),
    scaler: noKube || v['no-scaler'] === true ? undefined : scalerConfig(v, cwd, env),
  };
}

// Secret names are DNS-1123 subdomains; a Service name is a DNS-1035 label.
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function certSecretConfig(v: ReturnType<typeof parseCommandArgs<typeof options>>['values']): ServeConfig['certSecret'] {
  const name = v['cert-secret'];
  if (name === undefined) {
    if (v.service !== undefined || v['cert-check-seconds'] !== undefined) throw new UsageError('--service and --cert-check-seconds need --cert-secret', 'serve');
    return undefined;
  }
  if (!dnsSubdomain.test(name)) throw new UsageError(`--cert-secret must be a Secret name (lower-case letters, digits, '-', '.'); got "${name.slice(0, 80)}"`, 'serve');
  const service = v.service ?? Webhook.service;
  if (!dnsLabel.test(service)) throw new UsageError(`--service must be a Service name (a DNS label starting with a letter); got "${service.slice(0, 80)}"`, 'serve');
  return { name, service, checkMs: wholeNumber('cert-check-seconds', v['cert-check-seconds'], 10, 3600, 1) * 1000 };
}

function extenderFlag(on: boolean | undefined, off: boolean | undefined): boolean {
  if (on === true && off === true) throw new UsageError('--extender and --no-extender contradict each other', 'serve');
  return off !== true;
}

export function jsonLog(out: Io['stderr']): WebhookLog {
  return (level, msg, fields = {}) => {
    out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
}

// client-node takes over a second to import: load it only when a cluster is used, so `inferno plan` and
// `inferno serve --no-kube` do not pay for it.
async function connect(path: string | undefined, namespace: string, log: WebhookLog): Promise<{ kc: KubeConfig; view: ClusterView & { stop(): void } }> {
  const { loadKubeConfig } = await import('../kube/kubeconfig.js');
  const { startClusterView } = await import('../kube/cluster-view.js');
  const { keepAlive } = await import('../kube/keep-alive.js');
  const { kc, source } = loadKubeConfig(path, process.env);
  keepAlive(kc);
  const server = kc.getCurrentCluster()?.server;
  const started = Date.now();
  // One line per distinct problem (an unreachable server is one, whatever fails on it), retried with backoff;
  // /readyz stays 503 until every resource has been listed once.
  const view = await startClusterView(kc, {
    namespace,
    onProblem: ({ what, message, retryInMs }) => {
      log('warn', 'cannot read the cluster; retrying', { what, problem: message, retryInMs, kubeconfig: source, server });
    },
    onSynced: () => { log('info', 'cluster view synced: ready', { afterMs: Date.now() - started, kubeconfig: source, server }); },
  });
  return { kc, view };
}

/** The scaler on this replica: campaigns for the Lease, scales while it holds it; never throws. */
async function startScaler(kc: KubeConfig, view: ClusterView, c: NonNullable<ServeConfig['scaler']>, registry: Registry, log: WebhookLog, stop: AbortSignal): Promise<void> {
  try {
    // No campaign for the Lease before the view has synced: this replica could not plan, and an unreachable
    // cluster is already reported once by the view.
    while (!view.ready() && !stop.aborted) await sleep(200, stop);
    if (stop.aborted) return;
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
  const onAbort = (): void => { clearTimeout(t); ok(); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); ok(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

async function requireFiles(files: readonly string[], certDir: string): Promise<void> {
  for (const f of files) {
    try {
      await access(f);
    } catch {
      throw new UsageError(`${f} not found; create the certificates with 'inferno certs --out ${certDir}', or use --cert-secret`, 'serve');
    }
  }
}

/** Serves until `stop` aborts, then shuts down in order; `hurry` (a second signal) cuts the drain short. */
export async function runServe(config: ServeConfig, io: Io, stop: AbortSignal, hurry?: AbortSignal): Promise<number> {
  const log = jsonLog(io.stderr);
  const certFile = join(config.certDir, CertFile.cert);
  const keyFile = join(config.certDir, CertFile.key);
  // With --cert-secret the files are written from the Secret once the cluster is reached.
  if (config.certSecret === undefined) await requireFiles([certFile, keyFile], config.certDir);

  const offline = async (): Promise<ClusterView> => (config.scenario !== undefined ? loadScenarioView(config.scenario) : staticView(emptySnapshot));
  const cluster: { kc: KubeConfig | undefined; view: ClusterView & { stop(): void } } = config.kube === undefined
    ? { kc: undefined, view: Object.assign(await offline(), { stop: () => undefined }) }
    : await connect(config.kube.kubeconfig, config.namespace, log);
  const { kc, view } = cluster;
  const offload = startOffload({ ...defaultOffloadOptions, onEvent: (event, detail) => { log('warn', 'worker thread', { event, detail }); } });
  let draining = false;
  const certStop = new AbortController();
  try {
    const metrics = createAdmissionMetrics();
    const registry = metrics.registry;
    collectProcessMetrics(registry);
    collectOffloadMetrics(registry, () => offload.stats());
    collectInventoryMetrics(registry, () => (view.ready() ? view.snapshot().boundUnits() : undefined));
    const routes = createAdmissionRoutes({ view, namespace: config.namespace, offload });
    const ready = (): boolean => !draining && view.ready();
    const webhookApp = createWebhookApp({ routes, metrics, ready, log });
    // One AssumedPods per process: the scheduler must call one inferno for filter and prioritize (a sidecar on
    // loopback, see deploy/scheduler/), or the reservations it records would be split across replicas.
    const app = config.extender
      ? withExtender(webhookApp, createExtenderRouter({ view, assumed: new AssumedPods(), metrics: createExtenderMetrics(registry), log }))
      : webhookApp;
    const injectCa = caInjector(kc, config, log);
    const certs = kc !== undefined && config.certSecret !== undefined
      ? await certBootstrap(kc, config, config.certSecret, log, () => injectCa('new CA bundle in the certificate Secret'))
      : undefined;
    // Stopped before the Secret could be had: nothing was served.
    if (certs !== undefined && (await certs.start(stop)) === undefined) return 0;
    const server = await startHttpsServer(app, {
      certFile, keyFile, port: config.port, host: config.host, limits: config.limits, alsoWatch: [CertFile.caCert],
      onReload: (err) => {
        if (err !== undefined) {
          log('warn', 'kept the previous serving certificate', { certFile, err: err.message });
          return;
        }
        log('info', 'reloaded the serving certificate', { certFile });
        // A rotated certificate may come with a new CA: the webhook configurations must trust it before the API
        // server meets the new certificate on its next connection.
        void injectCa('certificate files changed');
      },
    });
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    log('info', 'listening', { url: `https://${host}:${server.port}`, port: server.port, routes: [...routes.map((r) => r.path), ...(config.extender ? Object.values(ExtenderPath) : [])], cluster: kc !== undefined, namespace: config.namespace });
    await injectCa('start-up');
    const keeping = certs?.keep(config.certSecret?.checkMs ?? 10_000, certStop.signal) ?? Promise.resolve();

    const scalerStop = new AbortController();
    const scaler = kc !== undefined && config.scaler !== undefined ? startScaler(kc, view, config.scaler, registry, log, scalerStop.signal) : Promise.resolve();

    if (!stop.aborted) await new Promise<void>((ok) => { stop.addEventListener('abort', () => { ok(); }, { once: true }); });
    // The scaler stops first: its Lease is released so another replica can take over while this one drains.
    scalerStop.abort();
    await scaler;
    certStop.abort();
    await keeping;
    draining = true;
    log('info', 'draining', { drainMs: config.drainMs, graceMs: config.graceMs });
    await sleep(config.drainMs, hurry);
    await server.close(hurry?.aborted === true ? 0 : config.graceMs);
    log('info', 'stopped');
    return 0;
  } finally {
    certStop.abort();
    await offload.close();
    view.stop();
  }
}

/** --cert-secret: the Secret store and the bootstrap over it, loaded only when used. */
async function certBootstrap(kc: KubeConfig, config: ServeConfig, secret: NonNullable<ServeConfig['certSecret']>, log: WebhookLog, onNewBundle: () => Promise<void>): Promise<import('./cert-bootstrap.js').CertBootstrap> {
  const [{ certSecretStore }, { CertBootstrap }, { defaultValidity }, { defaultRenewFraction }, { webhookServingNames }] = await Promise.all([
    import('../kube/cert-secret.js'), import('./cert-bootstrap.js'), import('../tls/issue.js'), import('../tls/rotation.js'), import('../tls/forge.js'),
  ]);
  const names = webhookServingNames(secret.service, config.namespace);
  return new CertBootstrap({
    store: certSecretStore(kc, config.namespace, secret.name),
    certDir: config.certDir,
    policy: { renewFraction: defaultRenewFraction, dnsNames: names.dnsNames, ipAddresses: names.ipAddresses },
    issue: { service: secret.service, namespace: config.namespace, ...defaultValidity },
    log, onNewBundle, settleMs: 2000,
  });
}

/**
 * Sets the webhook configurations' caBundle to DIR/ca.crt (when --inject-ca-bundle and a cluster), one run at a
 * time. Failing is logged, not fatal: the bundle may already be right, and a crash-looping webhook would only add
 * an outage to the misconfiguration.
 */
function caInjector(kc: KubeConfig | undefined, config: ServeConfig, log: WebhookLog): (why: string) => Promise<void> {
  const names = config.injectCaBundle;
  if (kc === undefined || names === undefined) return () => Promise.resolve();
  let last: Promise<void> = Promise.resolve();
  const once = async (why: string): Promise<void> => {
    try {
      const caPem = await readFile(join(config.certDir, CertFile.caCert), 'utf8');
      const { injectCaBundle } = await import('../kube/ca-bundle.js');
      log('info', 'injected the CA bundle', { why, patched: await injectCaBundle(kc, caPem, names) });
    } catch (e) {
      log('error', 'could not inject the CA bundle', { why, err: (e instanceof Error ? e.message : String(e)).slice(0, 300) });
    }
  };
  return (why) => {
    last = last.then(() => once(why));
    return last;
  };
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
