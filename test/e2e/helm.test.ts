// The Helm chart (deploy/chart/) with a real helm (`npm run helm:build`) and, where a server is needed, the real
// control plane: lint in every certificate mode, bad values named by the schema, what each mode renders, server-side
// dry-runs, the same objects as `kubectl kustomize deploy/`, and the README's Helm commands as written (install, then
// uninstall leaving nothing behind). Skipped, with the reason, when helm has not been built.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { Cluster } from './cluster.js';
import { REPO_ROOT, findHelm, startCluster, waitFor } from './cluster.js';
import type { Ran } from '../support/readme.js';
import { bash, readmeCommands, run } from '../support/readme.js';

const CHART = 'deploy/chart';
const MODES = ['bootstrap', 'cert-manager', 'secret'] as const;
const file = (...p: string[]): string => path.join(REPO_ROOT, ...p);
const chartMeta = z.object({ appVersion: z.string() }).parse(parseYaml(readFileSync(file(CHART, 'Chart.yaml'), 'utf8')));

const helmBinary = ((): string | Error => {
  try {
    return findHelm();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
})();
const skip = helmBinary instanceof Error ? `${helmBinary.message} (the Helm chart tests need a real helm)` : false;

// Helm's own state (repositories, cache, plugins) in a temporary folder, never the user's.
let helmHome = '';
const helmEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  HELM_CACHE_HOME: path.join(helmHome, 'cache'),
  HELM_CONFIG_HOME: path.join(helmHome, 'config'),
  HELM_DATA_HOME: path.join(helmHome, 'data'),
  ...extra,
});
const helm = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> => {
  if (helmBinary instanceof Error) throw helmBinary;
  return run(helmBinary, args, { env: helmEnv(env) });
};
before(async () => {
  helmHome = await mkdtemp(path.join(tmpdir(), 'inferno-helm-'));
});
after(async () => {
  if (helmHome !== '') await rm(helmHome, { recursive: true, force: true });
});

const ObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});
type K8sObject = z.infer<typeof ObjectSchema>;

function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null && o !== undefined)
    .map((o) => ObjectSchema.parse(o));
}

/** `helm template inferno deploy/chart ARGS`, parsed; fails the test (with helm's stderr) when helm does. */
async function render(...args: string[]): Promise<K8sObject[]> {
  const r = await helm(['template', 'inferno', CHART, ...args]);
  assert.equal(r.code, 0, `helm template ${args.join(' ')} failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

const keyOf = (o: K8sObject): string => `${o.kind} ${o.metadata.namespace !== undefined ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found !== undefined, `rendered ${kind} ${name} (rendered: ${objects.map(keyOf).join(', ')})`);
  return found;
}

const VolumeSchema = z.object({
  name: z.string(),
  emptyDir: z.object({ medium: z.string().optional() }).optional(),
  secret: z.object({ secretName: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })).optional() }).optional(),
});
const DeploymentSchema = z.object({
  spec: z.object({
    replicas: z.number(),
    template: z.object({
      spec: z.object({
        priorityClassName: z.string().optional(),
        nodeSelector: z.record(z.string(), z.string()).optional(),
        tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
        containers: z.array(z.object({
          image: z.string(),
          imagePullPolicy: z.string(),
          args: z.array(z.string()),
          volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })),
          resources: z.record(z.string(), z.record(z.string(), z.string())).optional(),
        })).length(1),
        volumes: z.array(VolumeSchema),
      }),
    }),
  }),
});
const pod = (objects: readonly K8sObject[]): z.infer<typeof DeploymentSchema>['spec']['template']['spec'] =>
  DeploymentSchema.parse(find(objects, 'Deployment', 'inferno')).spec.template.spec;
const container = (objects: readonly K8sObject[]): z.infer<typeof DeploymentSchema>['spec']['template']['spec']['containers'][number] => {
  const [c] = pod(objects).containers;
  assert.ok(c !== undefined);
  return c;
};

const WebhookConfigSchema = z.object({
  metadata: z.object({ annotations: z.record(z.string(), z.string()).optional() }),
  webhooks: z.array(z.object({
    name: z.string(),
    failurePolicy: z.string(),
    clientConfig: z.object({ service: z.object({ name: z.string(), namespace: z.string() }), caBundle: z.string().optional() }),
    namespaceSelector: z.object({ matchExpressions: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()) })) }),
  })),
});
const webhooks = (objects: readonly K8sObject[]): z.infer<typeof WebhookConfigSchema>[] =>
  ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => WebhookConfigSchema.parse(find(objects, kind, 'inferno-webhook')));
const failurePolicies = (objects: readonly K8sObject[]): Record<string, string> =>
  Object.fromEntries(webhooks(objects).flatMap((c) => c.webhooks.map((w) => [w.name, w.failurePolicy])));

const RoleSchema = z.object({ rules: z.array(z.object({ resources: z.array(z.string()), verbs: z.array(z.string()), resourceNames: z.array(z.string()).optional() })) });
const ConfigMapSchema = z.object({ data: z.record(z.string(), z.string()) });

// ---------------------------------------------------------------------------------------------------
// Normalisation for comparing the chart with the kustomize install

/** Labels Helm adds to every object (the kustomize install has none of them). */
const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/instance', 'app.kubernetes.io/version'];

/**
 * The object with what may legitimately differ between the two installs taken out: Helm's own labels, the order of
 * a container's flags (`--x v` and `--x=v` alike) and of RBAC verbs and resource names, which mean the same in any
 * order. Everything else (names, namespaces, rules, webhook rules and failure policies, volumes, probes) must match.
 */
function normalise(o: K8sObject): unknown {
  const copy = structuredClone(o) as K8sObject & { spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } }; rules?: Record<string, unknown>[] };
  const labels = Object.entries(copy.metadata.labels ?? {}).filter(([l]) => !HELM_LABELS.includes(l));
  copy.metadata = { ...copy.metadata, labels: Object.fromEntries(labels) };
  if (labels.length === 0) copy.metadata = Object.fromEntries(Object.entries(copy.metadata).filter(([k]) => k !== 'labels')) as K8sObject['metadata'];
  for (const c of copy.spec?.template?.spec?.containers ?? []) {
    if (c.args !== undefined) c.args = normaliseArgs(c.args);
  }
  for (const rule of copy.rules ?? []) {
    for (const [k, v] of Object.entries(rule)) if (Array.isArray(v)) rule[k] = [...(v as string[])].sort();
  }
  return copy;
}

/** `serve --b x --a=y` -> `serve --a=y --b=x`: the subcommand first, then the flags in one spelling, sorted. */
function normaliseArgs(args: readonly string[]): string[] {
  const [command, ...flags] = args;
  const joined: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i] ?? '';
    const next = flags[i + 1];
    if (f.startsWith('--') && !f.includes('=') && next !== undefined && !next.startsWith('--')) {
      joined.push(`${f}=${next}`);
      i++;
    } else joined.push(f);
  }
  return [command ?? '', ...joined.sort()];
}

function assertSameObjects(chart: readonly K8sObject[], kustomize: readonly K8sObject[], what: string): void {
  const byKey = (list: readonly K8sObject[]): Map<string, K8sObject> => new Map(list.map((o) => [keyOf(o), o]));
  const c = byKey(chart);
  const k = byKey(kustomize);
  assert.equal(c.size, chart.length, 'the chart renders no object twice');
  const onlyChart = [...c.keys()].filter((x) => !k.has(x));
  const onlyKustomize = [...k.keys()].filter((x) => !c.has(x));
  assert.deepEqual({ onlyChart, onlyKustomize }, { onlyChart: [], onlyKustomize: [] }, `${what}: the same kinds, names and namespaces`);
  for (const [key, obj] of k) {
    const mine = c.get(key);
    assert.ok(mine !== undefined);
    assert.deepEqual(normalise(mine), normalise(obj), `${what}: ${key} is the same object`);
  }
}

// ---------------------------------------------------------------------------------------------------

void describe('Helm chart: the CRD', () => {
  it('deploy/chart/crds/ holds deploy/crd/optimizers.llmd.ai.yaml, byte for byte (Helm reads nothing outside the chart)', () => {
    const source = readFileSync(file('deploy', 'crd', 'optimizers.llmd.ai.yaml'));
    const copy = readFileSync(file(CHART, 'crds', 'optimizers.llmd.ai.yaml'));
    assert.ok(copy.equals(source), 'the chart\'s CRD differs: cp deploy/crd/optimizers.llmd.ai.yaml deploy/chart/crds/');
  });
});

void describe('Helm chart: lint, values and rendering (real helm, no cluster)', { skip }, () => {
  for (const mode of MODES) {
    it(`helm lint --strict passes with certs.mode=${mode}`, async () => {
      const r = await helm(['lint', '--strict', CHART, '--set', `certs.mode=${mode}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  // Each bad value fails `helm template` (what install and upgrade run) with a message naming the value.
  const bad: readonly (readonly [string, RegExp])[] = [
    ['certs.mode=nonsense', /at '\/certs\/mode': value must be one of 'bootstrap', 'cert-manager', 'secret'/],
    ['replicas=-1', /at '\/replicas': minimum: got -1, want 1/],
    ['failurePolicy.mutateDeployment=Never', /at '\/failurePolicy\/mutateDeployment': value must be one of 'Fail', 'Ignore'/],
    ['namespace=Inferno_System', /at '\/namespace'/],
    ['replica=3', /additional properties 'replica' not allowed/],
    ['controller.solver=fastest', /at '\/controller\/solver': value must be one of 'greedy', 'exact'/],
    ['image.pullPolicy=Sometimes', /at '\/image\/pullPolicy'/],
  ];
  for (const [value, message] of bad) {
    it(`--set ${value} is refused, naming the value`, async () => {
      const r = await helm(['template', 'inferno', CHART, '--set', value]);
      assert.notEqual(r.code, 0, 'helm template fails');
      assert.match(r.stderr, /values don't meet the specifications of the schema/);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', 'nothing is rendered');
    });
  }

  it('helm lint reports a bad value as an error', async () => {
    const r = await helm(['lint', CHART, '--set', 'certs.mode=nonsense']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\[ERROR\] values\.yaml: - at '\/certs\/mode': value must be one of/);
  });

  it('certs.mode=bootstrap (the default): inferno creates its Secret, keeps the files in memory and injects the CA', async () => {
    const objects = await render();
    const c = container(objects);
    assert.ok(c.args.includes('--cert-secret=inferno-webhook-tls'), c.args.join(' '));
    assert.ok(c.args.includes('--cert-dir=/certs'));
    assert.ok(c.args.includes('--inject-ca-bundle'));
    assert.deepEqual(pod(objects).volumes, [{ name: 'certs', emptyDir: { medium: 'Memory' } }]);
    assert.deepEqual(c.volumeMounts, [{ name: 'certs', mountPath: '/certs' }], 'writable: inferno writes the files');
    const certs = RoleSchema.parse(find(objects, 'Role', 'inferno-cert-secret'));
    assert.deepEqual(certs.rules, [
      { resources: ['secrets'], verbs: ['create'] },
      { resources: ['secrets'], resourceNames: ['inferno-webhook-tls'], verbs: ['get', 'update'] },
    ], 'create (which cannot name a resource) and access to that one Secret only');
    find(objects, 'RoleBinding', 'inferno-cert-secret');
    assert.deepEqual(objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/')), [], 'no cert-manager objects');
    for (const w of webhooks(objects)) assert.equal(w.metadata.annotations, undefined, 'no CA injector annotation');
    assert.equal(c.image, `ghcr.io/inferno-llm/inferno:${chartMeta.appVersion}`, 'the image tag defaults to appVersion');
  });

  it('certs.mode=cert-manager: a private CA chain and a serving Certificate whose Secret is mounted; the injector sets caBundle', async () => {
    const objects = await render('--set', 'certs.mode=cert-manager');
    const cm = objects.filter((o) => o.apiVersion === 'cert-manager.io/v1');
    assert.deepEqual(cm.map(keyOf).sort(), [
      'Certificate inferno-system/inferno-ca', 'Certificate inferno-system/inferno-webhook',
      'Issuer inferno-system/inferno-ca', 'Issuer inferno-system/inferno-selfsigned',
    ]);
    const spec = (kind: string, name: string): Record<string, unknown> =>
      z.object({ spec: z.record(z.string(), z.unknown()) }).parse(find(cm, kind, name)).spec;
    assert.deepEqual(spec('Issuer', 'inferno-selfsigned'), { selfSigned: {} });
    const ca = spec('Certificate', 'inferno-ca');
    assert.equal(ca['isCA'], true);
    assert.deepEqual(ca['issuerRef'], { name: 'inferno-selfsigned', kind: 'Issuer', group: 'cert-manager.io' });
    assert.deepEqual(spec('Issuer', 'inferno-ca'), { ca: { secretName: ca['secretName'] } }, 'the CA Issuer signs with the CA Certificate\'s Secret');
    const serving = spec('Certificate', 'inferno-webhook');
    assert.deepEqual(serving['issuerRef'], { group: 'cert-manager.io', kind: 'Issuer', name: 'inferno-ca' });
    assert.equal(serving['secretName'], 'inferno-webhook-tls');
    assert.deepEqual(serving['dnsNames'], ['inferno-webhook', 'inferno-webhook.inferno-system', 'inferno-webhook.inferno-system.svc', 'inferno-webhook.inferno-system.svc.cluster.local', 'localhost'],
      'the names the API server calls the Service by, and localhost for the scheduler\'s sidecar');
    assert.deepEqual(serving['ipAddresses'], ['127.0.0.1']);

    const c = container(objects);
    assert.ok(!c.args.some((a) => a.startsWith('--cert-secret')), c.args.join(' '));
    assert.ok(!c.args.includes('--inject-ca-bundle'), 'cert-manager\'s injector owns caBundle');
    assert.ok(c.args.includes('--cert-dir=/certs'));
    assert.equal(pod(objects).volumes[0]?.secret?.secretName, serving['secretName'], 'the Deployment mounts the Certificate\'s Secret');
    assert.deepEqual(c.volumeMounts, [{ name: 'certs', mountPath: '/certs', readOnly: true }]);
    for (const w of webhooks(objects)) {
      assert.deepEqual(w.metadata.annotations, { 'cert-manager.io/inject-ca-from': 'inferno-system/inferno-webhook' });
    }
    assert.ok(!objects.some((o) => o.kind === 'Role' && o.metadata.name === 'inferno-cert-secret'), 'no Secret write access');
  });

  it('certs.mode=secret: the user\'s Secret is mounted as files and inferno injects its ca.crt', async () => {
    const objects = await render('--set', 'certs.mode=secret', '--set', 'certs.secretName=my-webhook-tls');
    const c = container(objects);
    assert.ok(!c.args.some((a) => a.startsWith('--cert-secret')));
    assert.ok(c.args.includes('--inject-ca-bundle'));
    assert.deepEqual(pod(objects).volumes, [{
      name: 'certs',
      secret: { secretName: 'my-webhook-tls', items: ['tls.crt', 'tls.key', 'ca.crt'].map((f) => ({ key: f, path: f })) },
    }]);
    assert.ok(!objects.some((o) => o.apiVersion.startsWith('cert-manager.io/') || o.metadata.name === 'inferno-cert-secret'));
  });

  it('the values reach the objects: namespace, replicas, image, policies, scheduling, PDB, controller settings', async () => {
    const objects = await render(
      '--set', 'namespace=gpu-ops', '--set', 'replicas=3', '--set', 'image.repository=registry.example/inferno',
      '--set', 'image.tag=dev', '--set', 'image.pullPolicy=Always', '--set', 'failurePolicy.mutateDeployment=Fail',
      '--set', 'failurePolicy.validateOptimizer=Ignore', '--set', 'pdb.enabled=false', '--set', 'priorityClassName=',
      '--set', 'nodeSelector.pool=system', '--set', 'tolerations[0].key=dedicated', '--set', 'tolerations[0].operator=Exists',
      '--set', 'resources.limits.memory=1Gi', '--set', 'controller.solver=exact', '--set', 'controller.scalerMode=recommend',
      '--set', 'accelerators.L4=null', '--set', 'certs.secretName=gpu-ops-tls',
    );
    for (const o of objects) {
      const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
      assert.equal(o.metadata.namespace, clusterScoped.includes(o.kind) ? undefined : 'gpu-ops', keyOf(o));
    }
    find(objects, 'Namespace', 'gpu-ops');
    for (const o of objects.filter((x) => x.kind.endsWith('RoleBinding'))) {
      assert.deepEqual(z.object({ subjects: z.array(z.object({ namespace: z.string() })) }).parse(o).subjects.map((s) => s.namespace), ['gpu-ops']);
    }
    for (const cfg of webhooks(objects)) {
      for (const w of cfg.webhooks) {
        assert.equal(w.clientConfig.service.namespace, 'gpu-ops');
        const values = w.namespaceSelector.matchExpressions[0]?.values;
        assert.deepEqual(values, w.name === 'validate-own-config.inferno.llmd.ai' ? ['gpu-ops'] : ['kube-system', 'gpu-ops']);
      }
    }
    assert.deepEqual(failurePolicies(objects), {
      'mutate-deployment.inferno.llmd.ai': 'Fail',
      'validate-optimizer.inferno.llmd.ai': 'Ignore',
      'validate-config.inferno.llmd.ai': 'Fail',
      'validate-own-config.inferno.llmd.ai': 'Ignore',
    });
    assert.equal(DeploymentSchema.parse(find(objects, 'Deployment', 'inferno')).spec.replicas, 3);
    const c = container(objects);
    assert.equal(c.image, 'registry.example/inferno:dev');
    assert.equal(c.imagePullPolicy, 'Always');
    assert.ok(c.args.includes('--cert-secret=gpu-ops-tls'));
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } });
    const p = pod(objects);
    assert.equal(p.priorityClassName, undefined);
    assert.deepEqual(p.nodeSelector, { pool: 'system' });
    assert.deepEqual(p.tolerations, [{ key: 'dedicated', operator: 'Exists' }]);
    assert.ok(!objects.some((o) => o.kind === 'PodDisruptionBudget'));
    assert.deepEqual(RoleSchema.parse(find(objects, 'Role', 'inferno-cert-secret')).rules[1]?.resourceNames, ['gpu-ops-tls']);
    const controller = ConfigMapSchema.parse(find(objects, 'ConfigMap', 'inferno-controller')).data;
    assert.deepEqual(controller, { mode: 'limited', solver: 'exact', saturationPolicy: 'PriorityExhaustive', scalerMode: 'recommend' });
    const accelerators = ConfigMapSchema.parse(find(objects, 'ConfigMap', 'inferno-accelerators')).data;
    assert.ok(!('L4' in accelerators) && 'A100' in accelerators, 'null drops a default key');

    const noNamespace = await render('--set', 'createNamespace=false');
    assert.ok(!noNamespace.some((o) => o.kind === 'Namespace'));
  });
});

void describe('Helm chart against a real API server', { skip, timeout: 900_000 }, () => {
  let cluster: Cluster;
  const kubectlBin = (): string => path.join(cluster.binDir, 'kubectl');
  /** kubectl with the cluster's kubeconfig, keeping stderr (warnings) on success too. */
  const kubectl = (args: readonly string[], input?: string): Promise<Ran> =>
    run(kubectlBin(), [`--kubeconfig=${cluster.kubeconfig}`, ...args], input !== undefined ? { input } : {});
  const toStream = (objects: readonly K8sObject[]): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster.stop();
  });

  it('the default chart renders the objects of `kubectl kustomize deploy/`', async () => {
    const k = await kubectl(['kustomize', 'deploy/']);
    assert.equal(k.code, 0, `kubectl kustomize deploy/ (the one-command install): ${k.stderr}`);
    assertSameObjects(await render('--include-crds'), parseManifests(k.stdout), 'helm template vs kubectl kustomize deploy/');
  });

  it('certs.mode=cert-manager renders the objects of `kubectl kustomize deploy/overlays/cert-manager`', async () => {
    const k = await kubectl(['kustomize', 'deploy/overlays/cert-manager']);
    assert.equal(k.code, 0, `kubectl kustomize deploy/overlays/cert-manager: ${k.stderr}`);
    assertSameObjects(await render('--include-crds', '--set', 'certs.mode=cert-manager'), parseManifests(k.stdout), 'helm template vs deploy/overlays/cert-manager');
  });

  for (const mode of MODES) {
    it(`helm template --set certs.mode=${mode} passes kubectl apply --dry-run=server, without Pod Security warnings`, async () => {
      // A namespace of its own (the install test below uses inferno-system), created for real first: a dry run
      // creates nothing, so the namespaced objects after the Namespace would not find it.
      const ns = `inferno-dry-${mode}`;
      const objects = await render('--include-crds', '--set', `certs.mode=${mode}`, '--set', `namespace=${ns}`);
      const namespace = find(objects, 'Namespace', ns);
      const created = await kubectl(['apply', '-f', '-'], toStream([namespace]));
      assert.equal(created.code, 0, created.stderr);
      // cert-manager's kinds need its CRDs, which this cluster does not have; they are checked by the render test.
      const rest = objects.filter((o) => o !== namespace && !o.apiVersion.startsWith('cert-manager.io/'));
      assert.equal(objects.length - rest.length - 1, mode === 'cert-manager' ? 4 : 0);
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], toStream(rest));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', 'no warnings (a Pod Security "would violate" warning among them)');
      for (const o of rest) assert.match(r.stdout, new RegExp(`${o.kind.toLowerCase()}[^ ]*/${o.metadata.name} .*\\(server dry run\\)`, 'i'));
      const gone = await kubectl(['delete', 'namespace', ns, '--timeout=60s']);
      assert.equal(gone.code, 0, gone.stderr);
    });
  }

  it('the README\'s Helm commands, as written: install on a fresh cluster, then uninstall leaves nothing behind', async () => {
    const commands = readmeCommands('### Helm');
    const env = helmEnv({
      KUBECONFIG: cluster.kubeconfig,
      PATH: `${path.dirname(String(helmBinary))}:${cluster.binDir}:${process.env['PATH'] ?? ''}`,
    });
    for (const prefix of ['helm lint deploy/chart', 'helm install ', 'helm uninstall ', 'kubectl delete crd optimizers.llmd.ai']) {
      assert.ok(commands.some((c) => c.startsWith(prefix)), `the README's Helm section runs \`${prefix}…\` (commands: ${commands.join(' | ')})`);
    }
    const inferno = async (kind: string): Promise<string[]> => {
      const r = await kubectl(['get', kind, '--all-namespaces', '-l', 'app.kubernetes.io/name=inferno', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    const clusterKinds = 'namespaces,clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations';
    for (const line of commands) {
      const r = await bash(line, { env, timeoutMs: 180_000 });
      assert.equal(r.code, 0, `\`${line}\` exited ${String(r.code)}: ${r.stderr}`);
      if (line.startsWith('helm template ')) {
        assert.ok(parseManifests(r.stdout).length > 10, `\`${line}\` prints the manifests`);
      } else if (line.startsWith('helm install ')) {
        assert.match(r.stdout, /STATUS: deployed/);
        assert.match(r.stdout, /kubectl -n inferno-system rollout status deployment\/inferno/, 'NOTES.txt says what to do next');
        assert.deepEqual((await inferno(clusterKinds)).sort(), [
          'clusterrole.rbac.authorization.k8s.io/inferno', 'clusterrole.rbac.authorization.k8s.io/inferno-scaler',
          'clusterrolebinding.rbac.authorization.k8s.io/inferno', 'clusterrolebinding.rbac.authorization.k8s.io/inferno-scaler',
          'mutatingwebhookconfiguration.admissionregistration.k8s.io/inferno-webhook', 'namespace/inferno-system',
          'validatingwebhookconfiguration.admissionregistration.k8s.io/inferno-webhook',
        ]);
        const crd = await kubectl(['get', 'crd', 'optimizers.llmd.ai', '-o', 'name']);
        assert.equal(crd.code, 0, `helm installed the CRD from crds/: ${crd.stderr}`);
      } else if (line.startsWith('kubectl -n inferno-system rollout status')) {
        // The restricted Pod Security profile admitted the pods, and the topology spread put them on two nodes.
        const pods = z.object({ items: z.array(z.object({ spec: z.object({ nodeName: z.string() }) })) })
          .parse(await cluster.kubectlJson(['get', 'pods', '-n', 'inferno-system', '-l', 'app.kubernetes.io/name=inferno']));
        assert.equal(pods.items.length, 2);
        assert.equal(new Set(pods.items.map((p) => p.spec.nodeName)).size, 2, 'two replicas, two nodes');
      } else if (line.startsWith('helm uninstall ')) {
        await waitFor('namespace inferno-system to be deleted', async () => {
          const ns = await kubectl(['get', 'namespace', 'inferno-system', '-o', 'name']);
          return ns.code !== 0 && ns.stderr.includes('NotFound');
        }, { timeoutMs: 120_000, intervalMs: 500 });
        assert.deepEqual(await inferno(clusterKinds), [], 'nothing of the release is left');
        const release = await kubectl(['get', 'secrets', '--all-namespaces', '-l', 'owner=helm', '-o', 'name']);
        assert.equal(release.stdout, '', 'nor its release record');
        const crd = await kubectl(['get', 'crd', 'optimizers.llmd.ai', '-o', 'name']);
        assert.equal(crd.code, 0, 'Helm keeps the CRD, as the README says');
      } else if (line.startsWith('kubectl delete crd optimizers.llmd.ai')) {
        const crd = await kubectl(['get', 'crd', 'optimizers.llmd.ai']);
        assert.notEqual(crd.code, 0);
        assert.match(crd.stderr, /NotFound/);
      }
    }
  });
});
