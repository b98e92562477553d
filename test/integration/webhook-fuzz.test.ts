// Fuzzing the live webhook: thousands of AdmissionReviews mutated by a seeded PRNG (fields deleted, types swapped,
// deep nesting, huge strings, unknown fields, __proto__ keys, truncated or random bytes, wrong content types) sent
// over HTTPS keep-alive to both a test route and inferno's real routes. Every answer must be a well-formed HTTP
// response — 200 with an AdmissionReview echoing the uid when the body is an AdmissionReview v1 with a string uid,
// otherwise a 4xx JSON error — and the server must still answer afterwards.
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import { createAdmissionRoutes } from '../../src/http/admission-routes.js';
import type { AdmissionRoute } from '../../src/webhook/types.js';
import { patch } from '../../src/webhook/types.js';
import { emptySnapshot, staticView } from '../../src/cluster/snapshot.js';
import { rng } from '../support/assert.js';
import type { TestWebhook } from '../support/https.js';
import { call, startTestWebhook } from '../support/https.js';
import { Annotation, Label } from '../../src/domain/keys.js';
import { BodyLimits } from '../../src/domain/limits.js';

const seed = Number(process.env['FUZZ_SEED'] ?? 20261128);
const cases = Number(process.env['FUZZ_CASES'] ?? 2500);


type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

function base(uid: string): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      operation: 'CREATE',
      namespace: 'models',
      name: 'granite-13b',
      userInfo: { username: 'system:serviceaccount:argocd:argocd-application-controller', groups: ['system:serviceaccounts'] },
      dryRun: false,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'granite-13b', namespace: 'models', labels: { [Label.managed]: 'true', app: 'granite' }, annotations: { [Annotation.optimizer]: 'granite-13b' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'granite' } },
          template: {
            metadata: { labels: { app: 'granite' } },
            spec: {
              containers: [{
                name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', args: ['--model', 'ibm-granite/granite-13b-instruct', '--port', '8000'],
                env: [{ name: 'HF_HOME', value: '/cache' }], resources: { limits: { 'nvidia.com/gpu': '1' }, requests: { cpu: '4', memory: '32Gi' } },
              }],
            },
          },
        },
      },
      oldObject: null,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

function allPaths(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((c, i) => { out.push([...prefix, i]); allPaths(c, [...prefix, i], out); });
  else if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) { out.push([...prefix, k]); allPaths(c, [...prefix, k], out); }
  return out;
}

function parentOf(root: Json, path: Path): { parent: Json[] | Record<string, Json>; key: string | number } | undefined {
  let cur: Json = root;
  for (const k of path.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (Array.isArray(cur) ? cur[k as number] : cur[k as string]) ?? null;
  }
  const key = path.at(-1);
  if (key === undefined || cur === null || typeof cur !== 'object') return undefined;
  return { parent: cur, key };
}

function setAt(root: Json, path: Path, value: Json | undefined): void {
  const p = parentOf(root, path);
  if (p === undefined) return;
  if (Array.isArray(p.parent)) {
    if (value === undefined) p.parent.splice(p.key as number, 1);
    else p.parent[p.key as number] = value;
  } else if (value === undefined) {
    Reflect.deleteProperty(p.parent, p.key);
  } else {
    p.parent[p.key as string] = value;
  }
}

interface Case { readonly text: string | Buffer; readonly contentType: string; readonly route: string }

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const randomString = (r: Rng, n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(r() * 0xffff))).join('');
const scalar = (r: Rng): Json => pick<() => Json>(r, [
  () => null, () => r() < 0.5, () => Math.floor(r() * 2 ** 40) - 2 ** 39, () => r() * 1e308, () => randomString(r, Math.floor(r() * 20)),
  () => [], () => ({}), () => [1, 'two', null],
])();

/** Structural mutations; deep nests are left as tokens replaced in the text (JSON.stringify would recurse). */
function mutateDoc(r: Rng, doc: Json, deep: string[]): void {
  const paths = allPaths(doc);
  const path = r() < 0.4 ? pick(r, paths.filter((p) => p.length <= 2)) : pick(r, paths);
  const kind = r();
  if (kind < 0.3) setAt(doc, path, undefined); // delete a field
  else if (kind < 0.6) setAt(doc, path, scalar(r)); // swap its type or value
  else if (kind < 0.68) {
    const depth = 100 + Math.floor(r() * 5000);
    setAt(doc, path, `DEEP_${deep.length}`);
    deep.push(r() < 0.5 ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  } else if (kind < 0.74) setAt(doc, path, r() < 0.8 ? 'x'.repeat(Math.floor(r() * 100_000)) : randomString(r, Math.floor(r() * 20_000)));
  else if (kind < 0.84) { // unknown fields anywhere
    const target = parentOf(doc, path);
    if (target !== undefined && !Array.isArray(target.parent)) target.parent[`unexpected-${paths.length}`] = scalar(r);
  } else if (kind < 0.9) setAt(doc, ['request', 'operation'], pick(r, ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'create', 'PATCH', '']));
  else setAt(doc, path, r() < 0.5 ? '\ud800' : '\u0000\u202e<script>');
}

/** Byte-level mutations of the encoded body. */
function mutateText(r: Rng, text: string): string | Buffer {
  const m = r();
  if (m < 0.05) return text.slice(0, Math.floor(r() * text.length)); // truncated
  if (m < 0.09) { // flipped bytes
    const b = Buffer.from(text);
    for (let k = 0; k < 1 + r() * 8; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    return b;
  }
  if (m < 0.12) return Buffer.from(Array.from({ length: Math.floor(r() * 4096) }, () => Math.floor(r() * 256))); // random bytes
  if (m < 0.15) return text.replace('"request":{', '"request":{"__proto__":{"uid":"polluted","kind":{}},');
  if (m < 0.17) return text.replace('{', '{"__proto__":{"apiVersion":"admission.k8s.io/v1"},');
  if (m < 0.175) return '';
  return text;
}

function makeCase(r: Rng, i: number, routes: readonly string[]): Case {
  const doc = base(r() < 0.1 ? `${i}` : `uid-${i}-${Math.floor(r() * 1e9).toString(36)}`);
  const deep: string[] = [];
  const mutations = 1 + Math.floor(r() * 3);
  for (let m = 0; m < mutations; m++) mutateDoc(r, doc, deep);
  let text = JSON.stringify(doc);
  deep.forEach((d, k) => { text = text.replace(`"DEEP_${k}"`, d); });
  const contentType = r() < 0.03
    ? pick(r, ['text/plain', 'application/yaml', 'application/json-patch+json', ''])
    : pick(r, ['application/json', 'application/json; charset=utf-8']);
  return { text: mutateText(r, text), contentType, route: pick(r, routes) };
}

/** Nesting depth and count of `{`, `[` and `,` outside strings (an unterminated string runs to the end). */
function structure(text: string): { depth: number; values: number } {
  const bare = text.replace(/"(?:[^"\\]|\\[\s\S])*"/g, '');
  const open = bare.indexOf('"');
  let depth = 0;
  let deepest = 0;
  let values = 0;
  for (const ch of open >= 0 ? bare.slice(0, open) : bare) {
    if (ch === '{' || ch === '[') deepest = Math.max(deepest, ++depth);
    else if (ch === '}' || ch === ']') depth--;
    if (ch === '{' || ch === '[' || ch === ',') values++;
  }
  return { depth: deepest, values };
}

/** What the server must answer, derived from the bytes alone. */
function expected(c: Case): { status: 200; uid: string } | { status: 400 | 413 | 415; code: string } {
  const bytes = Buffer.isBuffer(c.text) ? c.text : Buffer.from(c.text);
  if (!c.contentType.startsWith('application/json') || c.contentType.startsWith('application/json-')) return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  if (bytes.length === 0) return { status: 400, code: 'NOT_ADMISSION_REVIEW' }; // body-parser reads an empty body as {}
  if (bytes.length > 7 * 1024 * 1024) return { status: 413, code: 'PAYLOAD_TOO_LARGE' };
  const text = bytes.toString('utf8');
  const shape = structure(text);
  if (shape.depth > BodyLimits.maxDepth || shape.values > BodyLimits.maxValues) return { status: 413, code: 'BODY_TOO_COMPLEX' };
  let parsed: unknown;
  try {
    if (!/^[ \t\n\r]*[[{]/.test(text)) throw new SyntaxError('strict: objects and arrays only');
    parsed = JSON.parse(text);
  } catch {
    return { status: 400, code: 'INVALID_JSON' };
  }
  const o = parsed as { apiVersion?: unknown; kind?: unknown; request?: unknown };
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(o) && o.apiVersion === 'admission.k8s.io/v1' && o.kind === 'AdmissionReview' && isObj(o.request)
    && typeof o.request['uid'] === 'string' && o.request['uid'] !== '') {
    return { status: 200, uid: o.request['uid'] };
  }
  return { status: 400, code: 'NOT_ADMISSION_REVIEW' };
}

let hook: TestWebhook;
let agent: Agent;
const routes: AdmissionRoute[] = [
  ...createAdmissionRoutes({ view: staticView(emptySnapshot) }),
  { path: '/fuzz-patch', name: 'fuzz-patch', onError: 'closed', handler: (req) => patch([{ op: 'add', path: '/metadata/labels/seen', value: req.uid }]) },
];
before(async () => {
  hook = await startTestWebhook(routes);
  agent = new Agent({ keepAlive: true, ca: hook.ca, maxSockets: 16 });
});
after(async () => {
  agent.destroy();
  await hook.close();
});

test(`${cases} mutated AdmissionReviews (seed ${seed}) all get well-formed answers`, async (t) => {
  const r = rng(seed);
  const paths = routes.map((x) => x.path);
  const all = Array.from({ length: cases }, (_, i) => makeCase(r, i, paths));
  const tally = new Map<string, number>();
  const count = (key: string): void => { tally.set(key, (tally.get(key) ?? 0) + 1); };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < all.length; i = next++) {
      const c = all[i];
      if (c === undefined) continue;
      const want = expected(c);
      const got = await call(hook.port, hook.ca, { path: c.route, body: c.text, agent, headers: { 'content-type': c.contentType } });
      const where = `case ${i} (${c.route}, ${c.contentType}): ${Buffer.from(c.text).subarray(0, 200).toString()}`;
      assert.equal(got.status, want.status, `${where}\n→ ${got.text.slice(0, 300)}`);
      assert.match(String(got.headers['content-type']), /^application\/json; charset=utf-8$/, where);
      const body = JSON.parse(got.text) as Record<string, unknown>;
      if (want.status === 200) {
        const resp = body['response'] as { uid: unknown; allowed: unknown; patch?: unknown; warnings?: unknown[] };
        assert.equal(body['apiVersion'], 'admission.k8s.io/v1', where);
        assert.equal(body['kind'], 'AdmissionReview', where);
        assert.equal(resp.uid, want.uid, where);
        assert.equal(typeof resp.allowed, 'boolean', where);
        for (const w of resp.warnings ?? []) assert.ok(typeof w === 'string' && Array.from(w).length <= 120, where);
        count(`200 ${resp.allowed === true ? (resp.patch === undefined ? 'allowed' : 'patched') : 'denied'}`);
      } else {
        assert.equal((body['error'] as { code?: unknown } | undefined)?.code, want.code, where);
        count(`${want.status} ${want.code}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const errors = (await hook.metrics.errors.get()).values.filter((v) => v.value > 0).map((v) => `${String(v.labels.route)}=${v.value}`);
  t.diagnostic(`answers: ${[...tally].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  t.diagnostic(`handler errors (answered by failure policy): ${errors.join(', ') || 'none'}`);
  // Both kinds of answer must really have been exercised.
  assert.ok([...tally.keys()].some((k) => k.startsWith('200')) && [...tally.keys()].some((k) => k.startsWith('400')));

  const health = await call(hook.port, hook.ca, { path: '/healthz' });
  assert.equal(health.status, 200);
  const ok = await hook.post('/fuzz-patch', base('after-fuzz'));
  assert.equal((JSON.parse(ok.text) as { response: { uid: string } }).response.uid, 'after-fuzz');
});
