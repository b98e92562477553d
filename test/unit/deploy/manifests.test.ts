// What deploy/ and the Dockerfile must say, checked by reading them (no cluster and no image build here; the e2e
// tier applies the webhook configurations and the RBAC-relevant behaviour against a real API server).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DefaultNamespace, NamespaceEnv } from '../../../src/domain/keys.js';
import { Limits } from '../../../src/domain/limits.js';

const root = new URL('../../../', import.meta.url);
const read = (p: string): string => readFileSync(new URL(p, root), 'utf8');
type Obj = Record<string, unknown>;
const docs = (p: string): Obj[] => parseAllDocuments(read(p)).map((d) => d.toJS() as Obj);
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), o);
const byKind = (all: Obj[], kind: string): Obj[] => all.filter((o) => o['kind'] === kind);

describe('Dockerfile', () => {
  const lines = read('Dockerfile').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: { from: string; lines: string[] }[] = [];
  for (const l of lines) {
    if (/^FROM\s/i.test(l)) stages.push({ from: l, lines: [] });
    else stages.at(-1)?.lines.push(l);
  }
  const final = stages.at(-1);

  test('every stage is on a supported Node LTS (22 or later)', () => {
    assert.ok(stages.length >= 2);
    for (const s of stages) {
      const major = /node(?:js)?:?(\d+)/.exec(s.from)?.[1];
      assert.ok(major !== undefined && Number(major) >= 22, s.from);
    }
  });

  test('the image that ships runs compiled JavaScript with plain node: no npm, no tsx, no shell, not root', () => {
    assert.ok(final !== undefined);
    assert.match(final.from, /^FROM gcr\.io\/distroless\/nodejs\d+-debian\d+(:nonroot)?$/, 'distroless: no npm and no shell');
    assert.ok(!final.lines.some((l) => /^RUN\s/i.test(l)), 'nothing runs in the final stage');
    assert.ok(!final.lines.some((l) => /tsx|npm|npx/.test(l)), final.lines.join('\n'));
    const entry = final.lines.find((l) => l.startsWith('ENTRYPOINT'));
    assert.equal(entry, 'ENTRYPOINT ["/nodejs/bin/node", "dist/cli/entry.js"]');
    assert.ok(existsSync(new URL('src/cli/entry.ts', root)), 'dist/cli/entry.js is compiled from src/cli/entry.ts');
    assert.ok(final.lines.includes('COPY --from=build /src/dist ./dist'));
    assert.match(final.lines.find((l) => l.startsWith('USER')) ?? '', /^USER 65532:65532$/);
  });

  test('node_modules come from a production-only install without tsx', () => {
    const from = /^COPY --from=(\S+) \/app\/node_modules/.exec(final?.lines.find((l) => l.includes('node_modules')) ?? '')?.[1];
    const deps = stages.find((s) => s.from.endsWith(` AS ${String(from)}`));
    assert.ok(deps !== undefined, 'a named stage provides node_modules');
    const run = deps.lines.filter((l) => l.startsWith('RUN')).join(' ');
    assert.match(run, /npm ci --omit=dev --ignore-scripts/);
    assert.match(run, /npm uninstall --no-save --ignore-scripts tsx/);
  });
});

describe('deploy/base', () => {
  const all = ['namespace.yaml', 'rbac.yaml', 'deployment.yaml', 'webhooks.yaml'].flatMap((f) => docs(`deploy/base/${f}`));

  test('the namespace enforces the restricted Pod Security profile', () => {
    const ns = byKind(all, 'Namespace')[0];
    assert.equal(get(ns, 'metadata', 'name'), DefaultNamespace);
    for (const mode of ['enforce', 'audit', 'warn']) assert.equal(get(ns, 'metadata', 'labels', `pod-security.kubernetes.io/${mode}`), 'restricted', mode);
  });

  test('every fail-closed webhook skips kube-system and inferno\'s namespace; inferno\'s own ConfigMaps fail open', () => {
    const hooks = [...byKind(all, 'MutatingWebhookConfiguration'), ...byKind(all, 'ValidatingWebhookConfiguration')].flatMap((c) => get(c, 'webhooks') as Obj[]);
    const excluded = (w: Obj): unknown[] => ((get(w, 'namespaceSelector', 'matchExpressions') as Obj[] | undefined) ?? [])
      .filter((e) => e['key'] === 'kubernetes.io/metadata.name' && e['operator'] === 'NotIn').flatMap((e) => e['values'] as unknown[]);
    for (const w of hooks) {
      if (w['failurePolicy'] === 'Ignore' && w['name'] === 'validate-own-config.inferno.llmd.ai') continue;
      assert.ok(excluded(w).includes('kube-system') && excluded(w).includes(DefaultNamespace), String(w['name']));
    }
    const own = hooks.find((w) => w['name'] === 'validate-own-config.inferno.llmd.ai');
    assert.equal(get(own, 'failurePolicy'), 'Ignore');
    assert.deepEqual(get(own, 'namespaceSelector', 'matchExpressions'), [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [DefaultNamespace] }]);
    assert.equal(get(own, 'clientConfig', 'service', 'path'), '/validate-config');
    assert.equal(hooks.find((w) => w['name'] === 'validate-config.inferno.llmd.ai')?.['failurePolicy'], 'Fail');
  });

  test('ConfigMaps are readable only in inferno\'s namespace (a Role), never cluster-wide', () => {
    for (const cr of byKind(all, 'ClusterRole')) {
      for (const rule of get(cr, 'rules') as Obj[]) assert.ok(!(rule['resources'] as string[]).includes('configmaps'), JSON.stringify(rule));
    }
    const role = byKind(all, 'Role').find((r) => (get(r, 'rules') as Obj[]).some((x) => (x['resources'] as string[]).includes('configmaps')));
    assert.equal(get(role, 'metadata', 'namespace'), DefaultNamespace);
    assert.deepEqual(get(role, 'rules', 0, 'verbs'), ['get', 'list', 'watch']);
    const binding = byKind(all, 'RoleBinding').find((b) => get(b, 'roleRef', 'name') === get(role, 'metadata', 'name'));
    assert.deepEqual(get(binding, 'subjects', 0), { kind: 'ServiceAccount', name: 'inferno', namespace: DefaultNamespace });
  });

  test('the Deployment: its namespace from the downward API, a startup probe, replicas spread across nodes, a PDB, restricted-compliant', () => {
    const d = byKind(all, 'Deployment')[0];
    const pod = get(d, 'spec', 'template', 'spec') as Obj;
    const c = get(pod, 'containers', 0) as Obj;
    assert.deepEqual((c['env'] as Obj[]).find((e) => e['name'] === NamespaceEnv), { name: NamespaceEnv, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    assert.equal(get(c, 'startupProbe', 'httpGet', 'path'), '/healthz');
    assert.ok(Number(get(d, 'spec', 'replicas')) >= 2);
    const spread = (pod['topologySpreadConstraints'] as Obj[] | undefined)?.find((t) => t['topologyKey'] === 'kubernetes.io/hostname');
    const required = get(pod, 'affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution');
    assert.ok(spread?.['whenUnsatisfiable'] === 'DoNotSchedule' || required !== undefined, 'replicas never share a node');
    const pdb = byKind(all, 'PodDisruptionBudget')[0];
    assert.equal(get(pdb, 'spec', 'minAvailable'), 1);
    assert.deepEqual(get(pdb, 'spec', 'selector'), get(d, 'spec', 'selector'));
    // Pod Security "restricted"
    assert.equal(get(pod, 'securityContext', 'runAsNonRoot'), true);
    assert.equal(get(pod, 'securityContext', 'seccompProfile', 'type'), 'RuntimeDefault');
    assert.equal(get(c, 'securityContext', 'allowPrivilegeEscalation'), false);
    assert.deepEqual(get(c, 'securityContext', 'capabilities', 'drop'), ['ALL']);
    assert.equal(get(c, 'securityContext', 'readOnlyRootFilesystem'), true);
  });

  test('the certificate bootstraps itself: --cert-secret into an in-memory emptyDir at --cert-dir, the CA injected; the RBAC for exactly that Secret', () => {
    const d = byKind(all, 'Deployment')[0];
    const c = get(d, 'spec', 'template', 'spec', 'containers', 0) as Obj;
    const args = c['args'] as string[];
    const secret = args.find((a) => a.startsWith('--cert-secret='))?.slice('--cert-secret='.length);
    assert.equal(secret, 'inferno-webhook-tls');
    assert.ok(args.includes('--cert-dir=/certs') && args.includes('--inject-ca-bundle'), args.join(' '));
    assert.deepEqual(get(c, 'volumeMounts'), [{ name: 'certs', mountPath: '/certs' }]);
    assert.deepEqual(get(d, 'spec', 'template', 'spec', 'volumes'), [{ name: 'certs', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
    // Secrets: create (which cannot name a resource) and get/update of that one Secret, in inferno's namespace only.
    const secretRules = [...byKind(all, 'Role'), ...byKind(all, 'ClusterRole')].flatMap((r) => (get(r, 'rules') as Obj[]).filter((x) => (x['resources'] as string[]).includes('secrets')).map((x) => ({ ...x, role: `${String(r['kind'])}/${String(get(r, 'metadata', 'name'))}` })));
    assert.deepEqual(secretRules, [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'], role: 'Role/inferno-cert-secret' },
      { apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get', 'update'], role: 'Role/inferno-cert-secret' },
    ]);
    const role = byKind(all, 'Role').find((r) => get(r, 'metadata', 'name') === 'inferno-cert-secret');
    assert.equal(get(role, 'metadata', 'namespace'), DefaultNamespace);
    const binding = byKind(all, 'RoleBinding').find((b) => get(b, 'roleRef', 'name') === 'inferno-cert-secret');
    assert.deepEqual(get(binding, 'subjects'), [{ kind: 'ServiceAccount', name: 'inferno', namespace: DefaultNamespace }]);
    // inferno-scheduler's sidecar serves with the same Secret.
    const scheduler = docs('deploy/scheduler/scheduler-deployment.yaml').find((o) => o['kind'] === 'Deployment');
    assert.ok((get(scheduler, 'spec', 'template', 'spec', 'volumes') as Obj[]).some((v) => get(v, 'secret', 'secretName') === secret));
  });
});

describe('deploy/ kustomizations', () => {
  const sortOptions = (p: string): unknown => docs(p)[0]?.['sortOptions'];
  test('one order everywhere deploy/ is built: the webhook configurations first, then the namespace and the CRD', () => {
    const order = sortOptions('deploy/kustomization.yaml');
    assert.deepEqual((get(order, 'legacySortOptions', 'orderFirst') as string[]).slice(0, 4), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'Namespace', 'ResourceQuota']);
    assert.ok((get(order, 'legacySortOptions', 'orderFirst') as string[]).indexOf('CustomResourceDefinition') < (get(order, 'legacySortOptions', 'orderFirst') as string[]).indexOf('ServiceAccount'));
    // kustomize honours only the sortOptions of the kustomization it builds: each overlay repeats them.
    for (const overlay of ['deploy/overlays/cert-manager/kustomization.yaml', 'test/e2e/overlays/local/kustomization.yaml']) assert.deepEqual(sortOptions(overlay), order, overlay);
  });

  test('deploy/ is the CRD and deploy/base; the cert-manager overlay is the same parts with the component', () => {
    assert.deepEqual(docs('deploy/kustomization.yaml')[0]?.['resources'], ['crd', 'base']);
    const overlay = docs('deploy/overlays/cert-manager/kustomization.yaml')[0] ?? {};
    assert.deepEqual(overlay['resources'], ['../../crd', '../../base']);
    assert.deepEqual(overlay['components'], ['../../components/cert-manager']);
    assert.deepEqual(docs('deploy/crd/kustomization.yaml')[0]?.['resources'], ['optimizers.llmd.ai.yaml']);
    assert.deepEqual(docs('test/e2e/overlays/local/kustomization.yaml')[0]?.['resources'], ['../../../../deploy']);
  });
});

describe('the Optimizer CRD states the same bounds as the webhook', () => {
  const crd = docs('deploy/crd/optimizers.llmd.ai.yaml')[0];
  const schema = get(crd, 'spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties');
  const spec = get(schema, 'spec', 'properties');
  const profile = get(spec, 'modelProfile', 'properties', 'accelerators');
  const status = get(schema, 'status', 'properties');
  test('maxima and list lengths', () => {
    const cases: [unknown, number][] = [
      [get(profile, 'maxItems'), Limits.maxProfiles],
      [get(profile, 'items', 'properties', 'maxBatchSize', 'maximum'), Limits.maxBatchSize],
      [get(profile, 'items', 'properties', 'accCount', 'maximum'), Limits.maxAccCount],
      [get(profile, 'items', 'properties', 'atTokens', 'maximum'), Limits.maxTokens],
      [get(spec, 'minReplicas', 'maximum'), Limits.maxReplicas],
      [get(spec, 'maxReplicas', 'maximum'), Limits.maxReplicas],
      [get(status, 'replicas', 'maximum'), Limits.maxReplicas],
      [get(status, 'maxBatch', 'maximum'), Limits.maxBatchSize],
      [get(status, 'load', 'properties', 'arrivalRate', 'maximum'), Limits.maxArrivalRate],
      [get(status, 'load', 'properties', 'avgInTokens', 'maximum'), Limits.maxTokens],
      [get(status, 'load', 'properties', 'avgOutTokens', 'maximum'), Limits.maxTokens],
    ];
    cases.forEach(([got, want], i) => { assert.equal(got, want, `case ${i}`); });
  });
});
