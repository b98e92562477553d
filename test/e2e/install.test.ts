// The documented install path against a real control plane: `kubectl apply -k` of deploy/ (through the overlay
// test/e2e/overlays/local, which points the webhook configurations at a local `inferno serve`: this API server
// cannot reach a Service), `inferno serve` with the shipped arguments and the shipped RBAC bootstrapping its
// certificate Secret and the CA bundle with no manual step, an opt-in Deployment placed through the API server,
// replicas racing on an empty Secret, a broken Secret repaired, and `kubectl delete -k` leaving nothing behind. The
// README's install commands run here as written.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { Annotation, CertFile, CertSecretOwner, Label } from '../../src/domain/keys.js';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, freePorts, httpGet, portIsFree, serviceAccountKubeconfig, startCluster, waitFor } from './cluster.js';
import { ServeProcess } from './support/serve-process.js';

const NS = 'inferno-system';
const SECRET = 'inferno-webhook-tls';
const OVERLAY = 'test/e2e/overlays/local';
/** the URL port in test/e2e/overlays/local */
const WEBHOOK_PORT = 17443;
const MODELS = 'models';

const SecretSchema = z.object({
  type: z.string(),
  metadata: z.object({ labels: z.record(z.string(), z.string()).default({}), resourceVersion: z.string() }),
  data: z.record(z.string(), z.string()).default({}),
});
const WebhookConfig = z.object({ webhooks: z.array(z.object({ name: z.string(), clientConfig: z.object({ caBundle: z.string().optional() }) })) });
const Obj = z.object({ apiVersion: z.string(), kind: z.string(), metadata: z.object({ name: z.string(), namespace: z.string().optional() }) });
type Obj = z.infer<typeof Obj>;

/** What kubectl prints for an object, e.g. "deployment.apps/inferno" (its resource, group and name). */
const resourceOf: Record<string, string> = {
  MutatingWebhookConfiguration: 'mutatingwebhookconfiguration.admissionregistration.k8s.io',
  ValidatingWebhookConfiguration: 'validatingwebhookconfiguration.admissionregistration.k8s.io',
  Namespace: 'namespace', CustomResourceDefinition: 'customresourcedefinition.apiextensions.k8s.io', ServiceAccount: 'serviceaccount',
  Role: 'role.rbac.authorization.k8s.io', ClusterRole: 'clusterrole.rbac.authorization.k8s.io', RoleBinding: 'rolebinding.rbac.authorization.k8s.io',
  ClusterRoleBinding: 'clusterrolebinding.rbac.authorization.k8s.io', ConfigMap: 'configmap', Service: 'service', Deployment: 'deployment.apps',
  PodDisruptionBudget: 'poddisruptionbudget.policy',
};
const printed = (o: Obj): string => `${resourceOf[o.kind] ?? o.kind}/${o.metadata.name}`;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

/**
 * What kubectl prints for every `apply -k`/`delete -k` of a kustomization with sortOptions (it always passes its own
 * --reorder): deploy/ sets its order on purpose (webhook configurations first), and the README says so.
 */
const SortWarning = /^I\d{4} [\d:.]+ +\d+ log\.go:\d+\] Warning: Sorting order is set both in 'kustomization\.yaml' \('sortOptions'\) and in a CLI flag \('--reorder'\)\. Using the kustomization file over the CLI flag\.$/;
/** stderr without kubectl's sortOptions warning, which must be there */
function beyondSortWarning(stderr: string): string[] {
  const [first, ...rest] = stderr.trim().split('\n');
  assert.match(first ?? '', SortWarning);
  return rest;
}

void describe('e2e: one-command install, self-bootstrapping certificates, uninstall', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let saKubeconfig = '';
  let shippedArgs: string[] = [];
  const serves: ServeProcess[] = [];

  /** kubectl from the repository root with the admin kubeconfig, exit code and both streams kept. */
  const kubectl = (args: readonly string[], input?: string): Promise<Run> => new Promise((ok) => {
    const child = execFile(path.join(cluster.binDir, 'kubectl'), [`--kubeconfig=${cluster.kubeconfig}`, ...args], { cwd: REPO_ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      ok({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
  /** Commands of the README's Install section run so far, as written. */
  const ran = new Set<string>();
  /** A command of the README (split on spaces, no shell needed), run from the repository root. */
  const readme = (command: string): Promise<Run> => {
    const [bin, ...args] = command.split(' ');
    assert.equal(bin, 'kubectl');
    ran.add(command);
    return kubectl(args);
  };
  const raw = async (dir: string): Promise<unknown[]> => {
    const r = await kubectl(['kustomize', dir]);
    assert.equal(r.code, 0, r.stderr);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as unknown);
  };
  const built = async (dir: string): Promise<Obj[]> => (await raw(dir)).map((o) => Obj.parse(o));
  const secret = async (): Promise<z.infer<typeof SecretSchema> | undefined> => {
    const r = await kubectl(['get', 'secret', SECRET, '-n', NS, '-o', 'json']);
    if (r.code !== 0 && /NotFound/.test(r.stderr)) return undefined;
    assert.equal(r.code, 0, r.stderr);
    return SecretSchema.parse(JSON.parse(r.stdout));
  };
  const decoded = (s: z.infer<typeof SecretSchema>, key: string): string => Buffer.from(s.data[key] ?? '', 'base64').toString('utf8');
  const bundles = async (): Promise<string[]> => (await Promise.all(['mutatingwebhookconfiguration', 'validatingwebhookconfiguration'].map(async (kind) =>
    WebhookConfig.parse(await cluster.kubectlJson(['get', kind, 'inferno-webhook'])).webhooks.map((w) => w.clientConfig.caBundle ?? '')))).flat();
  /** The certificate a server presents, verified against `ca` for 127.0.0.1. */
  const served = (port: number, ca: string): Promise<X509Certificate> => new Promise((ok, fail) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      const raw = s.getPeerX509Certificate();
      s.end();
      if (raw === undefined) fail(new Error('no peer certificate'));
      else ok(raw);
    });
    s.on('error', fail);
  });
  /** `inferno serve` with deploy/'s arguments, the inferno ServiceAccount's credentials, on this port. */
  const serve = async (name: string, port: number): Promise<ServeProcess> => {
    const certDir = path.join(cluster.workdir, name, 'certs');
    await mkdir(path.dirname(certDir), { recursive: true });
    const args = [
      ...shippedArgs.filter((a) => !a.startsWith('--port=') && !a.startsWith('--cert-dir=')),
      `--port=${port}`, `--cert-dir=${certDir}`, '--host=127.0.0.1', `--kubeconfig=${saKubeconfig}`,
      // re-read the Secret every second (shipped: 10 s), so the tests below need not wait
      '--cert-check-seconds=1',
    ];
    const p = new ServeProcess(name, port, args, path.join(cluster.workdir, `${name}.log`));
    serves.push(p);
    return p;
  };
  const readyWith = async (p: ServeProcess, ca: () => Promise<string | undefined>): Promise<void> => {
    await waitFor(`${p.name} /readyz over HTTPS verified with the Secret's CA`, async () => {
      const pem = await ca();
      if (pem === undefined) return false;
      if (p.proc.exitCode !== null) throw new Error(`${p.name} exited:\n${p.tail()}`);
      return (await httpGet(`https://127.0.0.1:${p.port}/readyz`, { ca: Buffer.from(pem) })).status === 200;
    }, { timeoutMs: 60_000, intervalMs: 300 });
  };
  const secretCa = async (): Promise<string | undefined> => {
    const s = await secret();
    return s === undefined ? undefined : decoded(s, CertFile.caCert);
  };

  before(async () => {
    assert.ok(await portIsFree(WEBHOOK_PORT), `port ${WEBHOOK_PORT} (the webhook URL in ${OVERLAY}) is taken; free it to run this test`);
    cluster = await startCluster();
    const [deployment] = (await raw(OVERLAY)).filter((o) => Obj.parse(o).kind === 'Deployment');
    const d = z.object({ spec: z.object({ template: z.object({ spec: z.object({ containers: z.array(z.object({ args: z.array(z.string()) })) }) }) }) }).parse(deployment);
    // without the command itself ("serve"), which ServeProcess adds
    shippedArgs = (d.spec.template.spec.containers[0]?.args ?? []).slice(1);
  });

  after(async () => {
    await Promise.all(serves.map((s) => s.stop()));
    await cluster.stop();
  });

  void it('the shipped Deployment bootstraps its certificate: --cert-secret, --cert-dir on an in-memory emptyDir, --inject-ca-bundle', () => {
    for (const flag of [`--cert-secret=${SECRET}`, '--cert-dir=/certs', '--inject-ca-bundle']) assert.ok(shippedArgs.includes(flag), flag);
  });

  void it('a server dry run of deploy/ on a fresh cluster checks every cluster-wide object; the namespaced ones need inferno-system to exist first', async () => {
    const objects = await built('deploy');
    const r = await readme('kubectl apply --dry-run=server -k deploy/');
    assert.notEqual(r.code, 0);
    // Each object is sent on its own and the namespace is only pretended: kubernetes/kubernetes#83562.
    const clusterWide = objects.filter((o) => o.metadata.namespace === undefined);
    assert.deepEqual(r.stdout.trim().split('\n'), clusterWide.map((o) => `${printed(o)} created (server dry run)`));
    const namespaced = objects.filter((o) => o.metadata.namespace === NS);
    assert.equal(namespaced.length + clusterWide.length, objects.length);
    assert.deepEqual(beyondSortWarning(r.stderr), namespaced.map(() => `Error from server (NotFound): error when creating "deploy/": namespaces "${NS}" not found`));
  });

  void it('kubectl apply -k installs everything in one command: webhook configurations, then the namespace and the CRD, then what lives in them', async () => {
    const objects = await built(OVERLAY);
    const r = await kubectl(['apply', '-k', OVERLAY]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(beyondSortWarning(r.stderr), []);
    assert.deepEqual(r.stdout.trim().split('\n'), objects.map((o) => `${printed(o)} created`));
    assert.deepEqual(objects.slice(0, 4).map((o) => o.kind), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Namespace', 'CustomResourceDefinition']);
    assert.deepEqual((await built('deploy')).map(printed), objects.map(printed), 'the overlay installs exactly deploy/\'s objects, in its order');
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/optimizers.llmd.ai', '--timeout=30s']);
  });

  void it('then the server dry run of deploy/ passes: every object checked against the API server', async () => {
    const r = await readme('kubectl apply --dry-run=server -k deploy/');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(beyondSortWarning(r.stderr), []);
    assert.equal(r.stdout.trim().split('\n').length, (await built('deploy')).length);
    assert.ok(r.stdout.trim().split('\n').every((l) => / (unchanged|configured) \(server dry run\)$/.test(l)), r.stdout);
  });

  void it('the cert-manager overlay: deploy/ plus its Issuers and Certificates, the Secret mounted instead of bootstrapped, the CA injected by cert-manager', async () => {
    const dir = 'deploy/overlays/cert-manager';
    const plain = await raw('deploy');
    const withCm = await raw(dir);
    const key = (o: unknown): string => { const x = Obj.parse(o); return `${x.kind}/${x.metadata.namespace ?? ''}/${x.metadata.name}`; };
    const cm = ['Certificate/inferno-system/inferno-ca', 'Certificate/inferno-system/inferno-webhook', 'Issuer/inferno-system/inferno-ca', 'Issuer/inferno-system/inferno-selfsigned'];
    const gone = ['Role/inferno-system/inferno-cert-secret', 'RoleBinding/inferno-system/inferno-cert-secret'];
    assert.deepEqual(withCm.map(key), [...plain.map(key).filter((k) => !gone.includes(k)), ...cm], 'deploy/\'s objects in deploy/\'s order, without the Secret Role, then cert-manager\'s');
    const Dep = z.object({ spec: z.object({ template: z.object({ spec: z.object({
      containers: z.array(z.object({ args: z.array(z.string()), volumeMounts: z.array(z.record(z.string(), z.unknown())) })),
      volumes: z.array(z.record(z.string(), z.unknown())),
    }) }) }) });
    const pod = (all: unknown[]): z.infer<typeof Dep>['spec']['template']['spec'] => Dep.parse(all.find((o) => Obj.parse(o).kind === 'Deployment')).spec.template.spec;
    assert.deepEqual(pod(withCm).containers[0]?.args, pod(plain).containers[0]?.args.filter((a) => a !== `--cert-secret=${SECRET}` && a !== '--inject-ca-bundle'));
    assert.deepEqual(pod(withCm).volumes, [{ name: 'certs', secret: { secretName: SECRET, items: [CertFile.cert, CertFile.key, CertFile.caCert].map((k) => ({ key: k, path: k })) } }]);
    assert.deepEqual(pod(withCm).containers[0]?.volumeMounts, [{ name: 'certs', mountPath: '/certs', readOnly: true }]);
    const Annotated = z.object({ kind: z.string(), metadata: z.object({ annotations: z.record(z.string(), z.string()).default({}) }) });
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const c = Annotated.parse(withCm.find((o) => Obj.parse(o).kind === kind));
      assert.equal(c.metadata.annotations['cert-manager.io/inject-ca-from'], `${NS}/inferno-webhook`, kind);
    }
    const Cert = z.object({ spec: z.object({ secretName: z.string(), dnsNames: z.array(z.string()), ipAddresses: z.array(z.string()), issuerRef: z.object({ name: z.string() }) }) });
    const serving = Cert.parse(withCm.find((o) => key(o) === 'Certificate/inferno-system/inferno-webhook'));
    assert.equal(serving.spec.secretName, SECRET);
    assert.deepEqual(serving.spec.dnsNames, ['inferno-webhook', 'inferno-webhook.inferno-system', 'inferno-webhook.inferno-system.svc', 'inferno-webhook.inferno-system.svc.cluster.local', 'localhost']);
    assert.deepEqual(serving.spec.ipAddresses, ['127.0.0.1']);
    // This cluster has no cert-manager: everything else passes a server dry run; its own kinds are unknown here.
    const r = await kubectl(['apply', '--dry-run=server', '-k', dir]);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout.trim().split('\n').length, withCm.length - cm.length);
    assert.ok(r.stdout.trim().split('\n').every((l) => /(unchanged|configured|created) \(server dry run\)$/.test(l)), r.stdout);
    assert.match(r.stderr, /no matches for kind "(Certificate|Issuer)" in version "cert-manager\.io\/v1"/);
  });

  void it('the inferno ServiceAccount may create Secrets in inferno-system and read and update its certificate Secret, nothing more', async () => {
    const can = async (...args: string[]): Promise<string> => {
      const r = await kubectl(['auth', 'can-i', ...args, `--as=system:serviceaccount:${NS}:inferno`]);
      return r.stdout.trim();
    };
    for (const a of [['create', 'secrets', '-n', NS], ['get', `secrets/${SECRET}`, '-n', NS], ['update', `secrets/${SECRET}`, '-n', NS]]) assert.equal(await can(...a), 'yes', a.join(' '));
    for (const a of [
      ['get', 'secrets/other', '-n', NS], ['update', 'secrets/other', '-n', NS], ['list', 'secrets', '-n', NS], ['watch', 'secrets', '-n', NS],
      ['delete', `secrets/${SECRET}`, '-n', NS], ['patch', `secrets/${SECRET}`, '-n', NS], ['create', 'secrets', '-n', 'default'], ['get', 'secrets', '--all-namespaces'],
    ]) assert.equal(await can(...a), 'no', a.join(' '));
  });

  void it('inferno serve as that ServiceAccount creates the Secret and injects its CA into every webhook, with no manual step', async () => {
    assert.equal(await secret(), undefined, 'nothing made the Secret before');
    saKubeconfig = (await serviceAccountKubeconfig(cluster, { namespace: NS, name: 'inferno' }, path.join(cluster.workdir, 'inferno-sa.kubeconfig'))).file;
    const first = await serve('inferno-a', WEBHOOK_PORT);
    await readyWith(first, secretCa);
    const s = await secret();
    assert.ok(s !== undefined);
    assert.deepEqual(Object.keys(s.data).sort(), [CertFile.caCert, CertFile.caKey, CertFile.cert, CertFile.key].sort());
    assert.equal(s.type, 'kubernetes.io/tls');
    assert.equal(s.metadata.labels[CertSecretOwner.key], CertSecretOwner.value);
    const ca = decoded(s, CertFile.caCert);
    await waitFor('the CA bundle in every webhook', async () => (await bundles()).every((b) => b === s.data[CertFile.caCert]), { timeoutMs: 30_000, intervalMs: 300 });
    assert.equal((await bundles()).length, 4);
    const cert = await served(WEBHOOK_PORT, ca);
    assert.equal(cert.raw.toString('base64'), new X509Certificate(decoded(s, CertFile.cert)).raw.toString('base64'), 'it serves the Secret\'s certificate');
    assert.equal(cert.checkHost('inferno-webhook.inferno-system.svc'), 'inferno-webhook.inferno-system.svc');
    assert.equal(first.logged('creating the webhook certificate Secret').length, 1);
  });

  void it('an opt-in Deployment is placed by the mutating webhook through the API server', async () => {
    const sample = path.join('samples', 'models', 'llama-8b.yaml');
    assert.equal((await kubectl(['create', 'namespace', MODELS])).code, 0);
    // The Optimizer first (the webhook's validation admits it), then the Deployment once the webhook knows it.
    const opt = await kubectl(['apply', '-n', MODELS, '-f', sample, '-l', `!${Label.managed}`]);
    assert.equal(opt.code, 0, opt.stderr);
    const Placed = z.object({ metadata: z.object({ annotations: z.record(z.string(), z.string()).default({}) }), spec: z.object({ template: z.object({ spec: z.object({
      nodeSelector: z.record(z.string(), z.string()).optional(),
      containers: z.array(z.object({ resources: z.object({ limits: z.record(z.string(), z.string()).default({}) }).default({ limits: {} }) })),
    }) }) }) });
    await waitFor('the webhook to place the sample Deployment in a dry run', async () => {
      const r = await kubectl(['apply', '--dry-run=server', '-o', 'json', '-n', MODELS, '-f', sample, '-l', `${Label.managed}=true`]);
      return r.code === 0 && Placed.parse(JSON.parse(r.stdout)).metadata.annotations[Annotation.decision] !== undefined;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    const r = await kubectl(['apply', '-n', MODELS, '-f', sample, '-l', `${Label.managed}=true`]);
    assert.equal(r.code, 0, r.stderr);
    const d = Placed.parse(await cluster.kubectlJson(['get', 'deployment', 'llama-8b', '-n', MODELS]));
    const [selectorKey, product] = Object.entries(d.spec.template.spec.nodeSelector ?? {})[0] ?? [];
    assert.ok(selectorKey !== undefined && product !== undefined, 'a GPU product nodeSelector');
    assert.ok(Object.keys(d.spec.template.spec.containers[0]?.resources.limits ?? {}).some((k) => /gpu|gaudi/.test(k)), 'a GPU limit');
    assert.ok(d.metadata.annotations[Annotation.decision] !== undefined);
  });

  void it('two replicas starting on an empty Secret both end serving the one CA that was stored', async () => {
    const [firstOld] = serves;
    assert.ok(firstOld !== undefined);
    await firstOld.stop();
    assert.equal((await kubectl(['delete', 'secret', SECRET, '-n', NS])).code, 0);
    const [otherPort] = await freePorts(1);
    assert.ok(otherPort !== undefined);
    const a = await serve('inferno-b', WEBHOOK_PORT);
    const b = await serve('inferno-c', otherPort);
    await Promise.all([readyWith(a, secretCa), readyWith(b, secretCa)]);
    const s = await secret();
    assert.ok(s !== undefined);
    const ca = decoded(s, CertFile.caCert);
    const [certA, certB] = await Promise.all([served(a.port, ca), served(b.port, ca)]);
    assert.equal(certA.fingerprint256, certB.fingerprint256, 'the same serving certificate');
    assert.equal(certA.fingerprint256, new X509Certificate(decoded(s, CertFile.cert)).fingerprint256);
    await waitFor('the new CA bundle in every webhook', async () => (await bundles()).every((x) => x === s.data[CertFile.caCert]), { timeoutMs: 30_000, intervalMs: 300 });
    // Which one created it depends on timing; the other either found it or lost the create (409) and read it.
    const creators = [a, b].filter((p) => p.logged('creating the webhook certificate Secret').length > 0);
    const losers = [a, b].filter((p) => p.logged('another writer changed the webhook certificate Secret first').length > 0);
    assert.ok(creators.length >= 1 && losers.length === creators.length - 1, `creators ${creators.length}, losers ${losers.length}`);
    process.stderr.write(`[install e2e] race: ${creators.length} replica(s) tried to create the Secret, ${losers.length} lost with 409\n`);
  });

  void it('a broken serving certificate in the Secret is reissued by the same CA (the log names the Secret and the key), and both replicas reload it', async () => {
    const before = await secret();
    assert.ok(before !== undefined);
    const patch = { data: { [CertFile.cert]: Buffer.from('not a certificate').toString('base64') } };
    assert.equal((await kubectl(['patch', 'secret', SECRET, '-n', NS, '--type=merge', '-p', JSON.stringify(patch)])).code, 0);
    const [, a, b] = serves;
    assert.ok(a !== undefined && b !== undefined);
    const ca = decoded(before, CertFile.caCert);
    const old = new X509Certificate(decoded(before, CertFile.cert)).fingerprint256;
    let repaired = '';
    await waitFor('a new serving certificate in the Secret', async () => {
      const s = await secret();
      const pem = s === undefined ? '' : decoded(s, CertFile.cert);
      if (!pem.includes('BEGIN CERTIFICATE')) return false;
      repaired = new X509Certificate(pem).fingerprint256;
      return repaired !== old && decoded(s ?? before, CertFile.caCert) === ca;
    }, { timeoutMs: 30_000, intervalMs: 300 });
    await waitFor('both replicas to serve it', async () => (await Promise.all([served(a.port, ca), served(b.port, ca)])).every((c) => c.fingerprint256 === repaired), { timeoutMs: 30_000, intervalMs: 300 });
    const lines = [a, b].flatMap((p) => p.logged('renewing the webhook certificate Secret'));
    const [line] = lines;
    assert.ok(line !== undefined);
    assert.equal(line['secret'], `${NS}/${SECRET}`);
    assert.equal(line['findings'], 'tls.crt holds no readable PEM certificate');
    assert.equal(line.level, 'warn');
  });

  void it('kubectl delete -k removes everything, the webhook configurations first; the running replicas re-create nothing', async () => {
    const objects = await built(OVERLAY);
    const r = await kubectl(['delete', '-k', OVERLAY]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), [
      'mutatingwebhookconfiguration.admissionregistration.k8s.io "inferno-webhook" deleted',
      'validatingwebhookconfiguration.admissionregistration.k8s.io "inferno-webhook" deleted',
    ]);
    assert.equal(lines.length, objects.length);
    assert.deepEqual(beyondSortWarning(r.stderr), []);
    // kubectl waited for the deletions; a few of the replicas' re-reads later, still nothing.
    await new Promise((ok) => setTimeout(ok, 3000));
    await nothingLeft();
  });

  void it('the README\'s commands as written: kubectl apply -k deploy/ installs on a fresh cluster, kubectl delete -k deploy/ removes it all', async () => {
    await Promise.all(serves.map((s) => s.stop()));
    const objects = await built('deploy');
    const up = await readme('kubectl apply -k deploy/');
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(up.stdout.trim().split('\n'), objects.map((o) => `${printed(o)} created`));
    const down = await readme('kubectl delete -k deploy/');
    assert.equal(down.code, 0, down.stderr);
    assert.equal(down.stdout.trim().split('\n').length, objects.length);
    await nothingLeft();
  });

  void it('the README\'s cert-manager commands as written: without cert-manager only its own kinds are refused; the rest installs, and goes again', async () => {
    const dir = 'deploy/overlays/cert-manager';
    const objects = await built(dir);
    const ours = objects.filter((o) => !o.apiVersion.startsWith('cert-manager.io/'));
    const unknown = (stderr: string): string[] => beyondSortWarning(stderr).filter((l) => l !== 'ensure CRDs are installed first');
    const refused = objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))
      .map((o) => `resource mapping not found for name: "${o.metadata.name}" namespace: "${NS}" from "${dir}": no matches for kind "${o.kind}" in version "cert-manager.io/v1"`);
    const up = await readme(`kubectl apply -k ${dir}`);
    assert.equal(up.code, 1);
    assert.deepEqual(up.stdout.trim().split('\n'), ours.map((o) => `${printed(o)} created`));
    assert.deepEqual(unknown(up.stderr), refused);
    const down = await readme(`kubectl delete -k ${dir}`);
    assert.equal(down.code, 1);
    assert.equal(down.stdout.trim().split('\n').length, ours.length);
    assert.deepEqual(unknown(down.stderr), refused);
    // kubectl waits for deletions only when every one succeeded.
    await cluster.kubectl(['wait', '--for=delete', `namespace/${NS}`, 'crd/optimizers.llmd.ai', '--timeout=60s']);
    await nothingLeft();
  });

  void it('every command of the README\'s Install section ran here as written', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const start = text.indexOf('\n## Install\n');
    assert.ok(start >= 0, 'the README has an Install section');
    // up to the next heading: its "### Helm" subsection is run as written by helm.test.ts
    const section = text.slice(start + 1, text.slice(start + 1).search(/\n##+ /) + start + 1);
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] ?? '').split('\n'));
    const inline = [...section.matchAll(/`(kubectl [^`]+)`/g)].map((m) => m[1] ?? '');
    const commands = [...blocks, ...inline].map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '');
    assert.ok(commands.length >= 5, commands.join('\n'));
    for (const c of commands) assert.ok(ran.has(c), `the README's "${c}" is not run by this test`);
  });

  /** No trace of inferno: its namespace (and so its Secret, Lease, ConfigMaps), CRD, cluster-wide RBAC, webhooks. */
  async function nothingLeft(): Promise<void> {
    for (const [kind, name] of [
      ['namespace', NS], ['crd', 'optimizers.llmd.ai'], ['clusterrole', 'inferno'], ['clusterrole', 'inferno-scaler'],
      ['clusterrolebinding', 'inferno'], ['clusterrolebinding', 'inferno-scaler'],
      ['mutatingwebhookconfiguration', 'inferno-webhook'], ['validatingwebhookconfiguration', 'inferno-webhook'],
    ] as const) {
      const got = await kubectl(['get', kind, name]);
      assert.match(got.stderr, /NotFound/, `${kind}/${name} is gone`);
    }
    const left = await kubectl(['get', 'secrets,configmaps,serviceaccounts,roles,rolebindings,leases', '-A', '-l', 'app.kubernetes.io/name=inferno', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'nothing labelled inferno anywhere');
    assert.match((await kubectl(['get', 'optimizers', '-A'])).stderr, /NotFound.*optimizers|doesn't have a resource type "optimizers"/, 'Optimizers went with their CRD');
  }
});
