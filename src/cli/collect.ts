// `inferno collect`: for every Optimizer of a file or a cluster, the load its model server shows in Prometheus —
// what the scaler would act on. A debugging view: unknown values are printed with their reason.
import { resolve } from 'node:path';
import type { Collection } from '../collector/collect.js';
import { collect } from '../collector/collect.js';
import type { Observation, Reading } from '../collector/interpret.js';
import { isKnown, keyOf } from '../collector/interpret.js';
import { QueryLimits } from '../collector/promql.js';
import type { OptimizerResource } from '../cluster/resources.js';
import { PrometheusConfigError, PrometheusLimits, createPrometheusClient } from '../prometheus/client.js';
import { secondsFlag } from './flags.js';
import { readOptimizers } from './optimizer-files.js';
import { renderTable } from './table.js';
import type { Io } from './usage.js';
import { UsageError, oneOf, parseCommandArgs } from './usage.js';

const C = 'collect';

export const collectHelp = `Usage: inferno collect (-f FILE | [--kubeconfig PATH] [-n NS]) [--prometheus URL] [options]

Prints, for every Optimizer, what its model server's vLLM metrics in Prometheus say: arrival rate (arrivals, not
completions: completions plus the growth of running + waiting requests over the window), average input and output
tokens, mean TTFT and ITL, waiting and running requests, KV-cache use and the age of the newest sample. A model
server is the series with the Optimizer's namespace and model_name = spec.modelID. All servers are fetched with one
query per quantity. Values Prometheus cannot give (no series, NaN, stale, an error) are shown as unknown with the
reason, never as 0.

Options:
  -f, --file FILE               Optimizers from a YAML file (a scenario or a model's manifests; other kinds skipped)
      --kubeconfig PATH         list the Optimizers in a cluster (the default without --file: in-cluster config,
                                $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS            cluster: only this namespace; file: the namespace of Optimizers without one
                                (default "default")
      --prometheus URL          Prometheus base URL (default http://localhost:9090)
      --window D                rate window (default 1m; at least 2 scrape intervals)
      --stale-after D           newest sample older than this: stale (default 1m)
      --per-pod                 one row per pod instead of per model server
      --timeout D               per query (default 10s)
      --bearer-token-file FILE  send "Authorization: Bearer <contents>" (read on every query)
      --ca-file FILE            CA bundle for an https Prometheus
      --cert-file FILE, --key-file FILE
                                client certificate
      --insecure-skip-tls-verify
  -o, --output FMT              table (default) or json
  -h, --help                    this help

Exit codes: 0 collected (some values may be unknown), 1 every query failed (e.g. Prometheus unreachable; the
unknown values are still printed), 2 usage or input error.
`;

const options = {
  file: { type: 'string', short: 'f' },
  kubeconfig: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  prometheus: { type: 'string' },
  window: { type: 'string' },
  'stale-after': { type: 'string' },
  'per-pod': { type: 'boolean' },
  timeout: { type: 'string' },
  'bearer-token-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Row {
  readonly optimizer: string;
  readonly namespace: string;
  readonly model: string;
}

async function optimizersOf(v: { file?: string; kubeconfig?: string; namespace?: string }, cwd: string, io: Io): Promise<Row[]> {
  const row = (o: OptimizerResource, ns: string): Row => ({ optimizer: `${ns}/${o.metadata.name}`, namespace: ns, model: o.spec.modelID });
  if (v.file !== undefined) {
    if (v.kubeconfig !== undefined) throw new UsageError('--file and --kubeconfig exclude each other', C);
    const found = await readOptimizers(resolve(cwd, v.file));
    if (found.length === 0) throw new UsageError(`${v.file} has no Optimizer`, C);
    return found.map((f) => row(f.o, f.o.metadata.namespace ?? v.namespace ?? 'default'));
  }
  // client-node takes a second to import: only when a cluster is used.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { listOptimizers } = await import('../kube/list-optimizers.js');
  const kc = new KubeConfig();
  if (v.kubeconfig !== undefined) kc.loadFromFile(resolve(cwd, v.kubeconfig));
  else kc.loadFromDefault();
  const { optimizers, problems } = await listOptimizers(kc, v.namespace);
  for (const p of problems) io.stderr.write(`inferno collect: skipped ${p}\n`);
  return optimizers.map((o) => row(o, o.metadata.namespace ?? 'default'));
}

const cell = (r: Reading, digits: number, scale = 1): string => {
  if (isKnown(r)) return (r * scale).toFixed(digits);
  const u = r.unknown;
  return u.startsWith('prometheus-error') ? 'error' : u === 'no-data' ? 'no data' : u;
};

/** JSON: readings as numbers or {"unknown": reason}, rounded for reading, keyed as in the Observation. */
function jsonOf(rows: readonly Row[], c: Collection, byKey: ReadonlyMap<string, Observation[]>): object {
  return {
    observations: rows.flatMap((r) => (byKey.get(keyOf(r.namespace, r.model)) ?? []).map((o) => ({ optimizer: r.optimizer, ...o }))),
    errors: c.errors,
    warnings: c.warnings,
  };
}

function tableOf(rows: readonly Row[], byKey: ReadonlyMap<string, Observation[]>, perPod: boolean): string {
  const head = ['OPTIMIZER', 'MODEL', ...(perPod ? ['POD'] : []), 'ARRIVALS rpm', 'COMPLETED rpm', 'IN tok', 'OUT tok', 'TTFT ms', 'ITL ms', 'WAITING', 'RUNNING', 'KV %', 'AGE s', 'STALE PODS'];
  const body = rows.flatMap((r) => (byKey.get(keyOf(r.namespace, r.model)) ?? []).map((o) => [
    r.optimizer, r.model, ...(perPod ? [o.pod ?? ''] : []),
    cell(o.arrivalRpm, 1), cell(o.completionRpm, 1), cell(o.avgInputTokens, 0), cell(o.avgOutputTokens, 0),
    cell(o.ttftMs, 1), cell(o.itlMs, 1), cell(o.waiting, 0), cell(o.running, 0), cell(o.kvCacheUsage, 1, 100), cell(o.sampleAgeS, 1),
    o.stalePods.length === 0 ? '-' : o.stalePods.join(','),
  ]));
  return `${renderTable(head, body)}\n`;
}

export async function collectCommand(args: readonly string[], io: Io): Promise<number> {
  const { values: v } = parseCommandArgs(C, args, options);
  if (v.help === true) {
    io.stdout.write(collectHelp);
    return 0;
  }
  const output = oneOf(C, 'output', v.output, ['table', 'json'] as const) ?? 'table';
  const windowS = Math.round(secondsFlag(C, 'window', v.window, 60, 2, QueryLimits.maxWindowS));
  const staleAfterS = secondsFlag(C, 'stale-after', v['stale-after'], 60, 1, QueryLimits.maxLookbackS / 2);
  const timeoutMs = secondsFlag(C, 'timeout', v.timeout, 10, 0.1, PrometheusLimits.maxTimeoutMs / 1000) * 1000;
  const perPod = v['per-pod'] === true;
  const rows = await optimizersOf(v, io.cwd, io);
  const path = (f: string | undefined): string | undefined => (f === undefined ? undefined : resolve(io.cwd, f));
  let client;
  try {
    const caFile = path(v['ca-file']);
    const certFile = path(v['cert-file']);
    const keyFile = path(v['key-file']);
    const bearerTokenFile = path(v['bearer-token-file']);
    client = await createPrometheusClient({
      url: v.prometheus ?? 'http://localhost:9090', timeoutMs,
      ...(caFile !== undefined ? { caFile } : {}), ...(certFile !== undefined ? { certFile } : {}), ...(keyFile !== undefined ? { keyFile } : {}),
      ...(bearerTokenFile !== undefined ? { bearerTokenFile } : {}),
      insecureSkipVerify: v['insecure-skip-tls-verify'] === true,
    });
  } catch (e) {
    if (e instanceof PrometheusConfigError) throw new UsageError(e.message, C);
    throw e;
  }
  try {
    const c = await collect(client, rows, { windowS, staleAfterS, perPod }, Date.now() / 1000);
    const byKey = new Map<string, Observation[]>();
    for (const o of c.observations) {
      const k = keyOf(o.namespace, o.model);
      byKey.set(k, [...(byKey.get(k) ?? []), o]);
    }
    io.stdout.write(output === 'json' ? `${JSON.stringify(jsonOf(rows, c, byKey))}\n` : tableOf(rows, byKey, perPod));
    for (const e of [...new Set(c.errors.map((x) => x.replace(/^\w+: /, '')))]) io.stderr.write(`inferno collect: query failed: ${e}\n`);
    for (const w of c.warnings) io.stderr.write(`inferno collect: Prometheus warning: ${w}\n`);
    return c.queries > 0 && c.errors.length === c.queries ? 1 : 0;
  } finally {
    client.close();
  }
}
