// The hostile side of `npm run bench:webhook`: one hostile request per second to the server under test, in a process
// of its own (encrypting a 7 MB body must not slow the load generator's clock). Rotates through the cases of issue
// 11: a 7 MB body of tiny objects, the largest valid Optimizer's mutation (a new reply length each time, so nothing
// is cached), an Optimizer with batch size 10M, dense YAML in a ConfigMap, a YAML alias bomb. Prints one JSON line
// per request: {kind, status, ms}. Usage: hostile-client.mts PORT CA_FILE SECONDS
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [portArg, caFile, secondsArg] = process.argv.slice(2);
const port = Number(portArg);
const ca = readFileSync(caFile ?? '', 'utf8');
const seconds = Number(secondsArg);
const agent = new Agent({ keepAlive: true, ca, maxSockets: 2 });

const review = (uid: string, kind: { group: string; version: string; kind: string }, namespace: string, object: unknown): string =>
  JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid, kind, operation: 'CREATE', namespace, object, dryRun: false } });
const labels = { 'inferno.llmd.ai/config': 'service-classes' };

let n = 0;
const cases: { kind: string; path: string; body: () => string | Buffer }[] = [
  { kind: 'dense-7MB', path: '/mutate-deployment', body: (() => { const b = Buffer.from(`[${'{},'.repeat(2_400_000)}{}]`); return () => b; })() },
  {
    kind: 'largest-optimizer', path: '/mutate-deployment',
    body: () => review(`h-${n}`, { group: 'apps', version: 'v1', kind: 'Deployment' }, 'models', {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: {
        name: 'heavy', namespace: 'models', labels: { 'inferno.llmd.ai/managed': 'true' },
        annotations: { 'inferno.llmd.ai/optimizer': 'heavy', 'inferno.llmd.ai/expected-rpm': '600', 'inferno.llmd.ai/avg-input-tokens': '256', 'inferno.llmd.ai/avg-output-tokens': String(100 + (n % 1000)) },
      },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'vllm', args: ['--model', 'ibm-granite/granite-13b-instruct'] }] } } },
    }),
  },
  {
    kind: 'batch-10M', path: '/validate-optimizer',
    body: () => review(`b-${n}`, { group: 'llmd.ai', version: 'v1alpha1', kind: 'Optimizer' }, 'models', {
      apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', metadata: { name: 'huge', namespace: 'models' },
      spec: { modelID: 'ibm-granite/granite-13b-instruct', serviceClass: 'Premium', modelProfile: { accelerators: [{ acc: 'A100', maxBatchSize: 10_000_000, alpha: 1, beta: 0.1 }] } },
    }),
  },
  {
    kind: 'dense-yaml', path: '/validate-config',
    body: () => review(`y-${n}`, { group: '', version: 'v1', kind: 'ConfigMap' }, 'inferno-system', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'inferno-system', labels }, data: { a: `[${'a,'.repeat(32_000)}a]`, b: `[${'b,'.repeat(32_000)}b]` },
    }),
  },
  {
    kind: 'alias-bomb', path: '/validate-config',
    body: () => review(`a-${n}`, { group: '', version: 'v1', kind: 'ConfigMap' }, 'inferno-system', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'inferno-system', labels },
      data: { premium: ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i] ?? 'a'}`).join(', ')}]`)].join('\n') },
    }),
  },
];

function send(c: (typeof cases)[number]): Promise<void> {
  const body = c.body();
  const t0 = performance.now();
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, path: c.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        console.log(JSON.stringify({ kind: c.kind, status: res.statusCode, ms: Math.round((performance.now() - t0) * 10) / 10 }));
        done();
      });
    });
    req.on('error', (e) => {
      console.log(JSON.stringify({ kind: c.kind, status: 0, error: e.message, ms: Math.round(performance.now() - t0) }));
      done();
    });
    req.end(body);
  });
}

const start = performance.now();
const inFlight: Promise<void>[] = [];
for (; n < seconds; n++) {
  const due = start + n * 1000;
  await new Promise((ok) => setTimeout(ok, Math.max(0, due - performance.now())));
  const c = cases[n % cases.length];
  if (c !== undefined) inFlight.push(send(c));
}
await Promise.all(inFlight);
agent.destroy();
