// The batch size on the pod template: every --max-num-seqs rewritten, duplicates of the env var collapsed, shell
// scripts rewritten where safe and reported where not, a pinned batch size left alone; copy-on-write editing and the
// identity-skipping diff agree with fast-json-patch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jsonpatch from 'fast-json-patch';
import type { Operation as PatchOperation } from 'fast-json-patch';
import { BatchSizeArg, BatchSizeEnv, editBatchFlags } from '../../../src/placement/batch-flags.js';
import { diff } from '../../../src/placement/diff.js';
import type { Placement } from '../../../src/placement/pod-template.js';
import { applyPlacement } from '../../../src/placement/pod-template.js';
import { rng } from '../../support/assert.js';

interface Container { name: string; command?: string[]; args?: string[]; env?: Record<string, unknown>[] }
const deployment = (c: Omit<Container, 'name'>): Record<string, unknown> => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'm', annotations: { keep: 'me' } },
  spec: { template: { metadata: { labels: { app: 'm' } }, spec: { containers: [{ name: 'vllm', ...c }, { name: 'sidecar', args: ['--max-num-seqs', '3'] }] } } },
});
const placement = (over: Partial<Placement> = {}): Placement => ({ maxBatch: 48, podLabels: { 'inferno.llmd.ai/accelerator': 'A100' }, annotations: {}, ...over });
const containerOf = (d: unknown, i = 0): Container => (d as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec.containers[i] as Container;

/** Applies a placement the way the webhook does: copy-on-write on a shallow copy, then a diff against the original. */
function place(raw: Record<string, unknown>, p: Placement = placement()) {
  const before = structuredClone(raw);
  const mutated: Record<string, unknown> = { ...raw };
  const outcome = applyPlacement(mutated, 0, p);
  assert.deepEqual(raw, before, 'the original object is never modified');
  const ops = diff(raw, mutated);
  const patched = jsonpatch.applyPatch(structuredClone(raw), ops as PatchOperation[], true, false).newDocument;
  assert.deepEqual(patched, mutated, 'the diff turns the original into the edited object');
  return { outcome, mutated, ops, c: containerOf(mutated) };
}

describe('--max-num-seqs in command and args', () => {
  test('given three times in both forms and spellings, every one is replaced (argparse takes the last)', () => {
    const { c, outcome } = place(deployment({
      command: ['vllm', 'serve', '--max-num-seqs', '256'],
      args: ['m', '--max-num-seqs=128', '--port', '8000', '--max_num_seqs', '64'],
    }));
    assert.deepEqual(c.command, ['vllm', 'serve', BatchSizeArg]);
    assert.deepEqual(c.args, ['m', BatchSizeArg, '--port', '8000', BatchSizeArg]);
    assert.deepEqual(outcome, { maxNumSeqs: 48, by: 'inferno', at: ['command[2]', 'args[1]', 'args[4]'] });
  });

  test('a trailing flag without a value, or followed by another flag, keeps the next argument', () => {
    const { c } = place(deployment({ args: ['--max-num-seqs', '--port', '8000', '--max-num-seqs'] }));
    assert.deepEqual(c.args, [BatchSizeArg, '--port', '8000', BatchSizeArg]);
  });

  test('absent: appended to args (created when missing); another container is never touched', () => {
    const { c, mutated, outcome } = place(deployment({ command: ['vllm', 'serve', 'm'] }));
    assert.deepEqual(c.args, [BatchSizeArg]);
    assert.deepEqual(outcome?.at, ['args[0]']);
    assert.deepEqual(containerOf(mutated, 1).args, ['--max-num-seqs', '3']);
  });

  test('a second application changes nothing (reinvocation)', () => {
    const first = place(deployment({ args: ['m', '--max-num-seqs', '256'], env: [{ name: BatchSizeEnv, value: '7' }] }));
    const second = place(first.mutated);
    assert.deepEqual(second.ops, []);
  });
});

describe('INFERNO_MAX_BATCH_SIZE in env', () => {
  test('listed twice (Kubernetes takes the last): one entry remains, with inferno\'s value and no valueFrom', () => {
    const { c } = place(deployment({
      args: [],
      env: [
        { name: 'HF_HOME', value: '/m' },
        { name: BatchSizeEnv, valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } },
        { name: 'OTHER', value: '1' },
        { name: BatchSizeEnv, value: '512' },
      ],
    }));
    assert.deepEqual(c.env, [{ name: 'HF_HOME', value: '/m' }, { name: BatchSizeEnv, value: '48' }, { name: 'OTHER', value: '1' }]);
  });
});

describe('shell scripts', () => {
  test('sh -c "… --max-num-seqs 64": rewritten inside the script; nothing appended to args', () => {
    const script = 'pip install x && exec vllm serve m --port 8000 --max-num-seqs 64 --gpu-memory-utilization 0.9';
    const { c, outcome } = place(deployment({ command: ['/bin/sh', '-c', script] }));
    assert.deepEqual(c.command, ['/bin/sh', '-c', script.replace('--max-num-seqs 64', BatchSizeArg)]);
    assert.equal(c.args, undefined);
    assert.deepEqual(outcome, { maxNumSeqs: 48, by: 'inferno', at: ['command[2] (shell script)'] });
  });

  test('the script in args, after `bash -ec`, in = form and quoted: rewritten', () => {
    const { c, outcome } = place(deployment({ command: ['bash', '-ec'], args: ['vllm serve m --max-num-seqs="32"; echo done'] }));
    assert.deepEqual(c.args, [`vllm serve m ${BatchSizeArg}; echo done`]);
    assert.equal(outcome?.problem, undefined);
  });

  test('a value it cannot rewrite safely is reported, and the script is left as it is', () => {
    const { c, outcome } = place(deployment({ command: ['sh', '-c', 'vllm serve m --max-num-seqs $SEQS'] }));
    assert.deepEqual(c.command, ['sh', '-c', 'vllm serve m --max-num-seqs $SEQS']);
    assert.equal(c.args, undefined);
    assert.match(outcome?.problem ?? '', /--max-num-seqs \$SEQS in the shell script of command\[2\] cannot be rewritten safely/);
  });

  test('a script without the flag is reported: an appended arg would only set a $N the script never reads', () => {
    const { c, outcome } = place(deployment({ command: ['sh', '-c', 'exec vllm serve m'] }));
    assert.equal(c.args, undefined);
    assert.deepEqual(outcome?.at, []);
    assert.match(outcome.problem ?? '', /runs a shell script \(command\[2\]\) with no --max-num-seqs; add --max-num-seqs=\$\(INFERNO_MAX_BATCH_SIZE\)/);
  });

  test('a script that passes "$@" on gets the flag as one more argument', () => {
    const { c, outcome } = place(deployment({ command: ['sh', '-c', 'exec vllm serve "$@"', 'vllm'], args: ['m', '--port', '8000'] }));
    assert.deepEqual(c.args, ['m', '--port', '8000', BatchSizeArg]);
    assert.equal(outcome?.problem, undefined);
  });

  test('a shell running a script file: appended, with a caveat', () => {
    const edit = editBatchFlags(['bash', '/start.sh'], undefined);
    assert.deepEqual(edit.args, [BatchSizeArg]);
    assert.match(edit.problem ?? '', /bash runs a script file: args\[0\] reaches vLLM only if the script passes "\$@" on/);
  });

  test('without a command, args go to the image entrypoint: a leading "sh" there is not a shell', () => {
    const edit = editBatchFlags(undefined, ['sh', '-c', 'x']);
    assert.deepEqual(edit.args, ['sh', '-c', 'x', BatchSizeArg]);
    assert.equal(edit.problem, undefined);
  });
});

describe('a Deployment that pins its own batch size', () => {
  test('command, args and env are left alone; the outcome says who applies it and where', () => {
    const raw = deployment({ args: ['m', '--max-num-seqs', '96'], env: [{ name: BatchSizeEnv, value: '1' }] });
    const { c, outcome } = place(raw, placement({ maxBatch: 96, setBatch: false }));
    assert.deepEqual(c.args, ['m', '--max-num-seqs', '96']);
    assert.deepEqual(c.env, [{ name: BatchSizeEnv, value: '1' }]);
    assert.deepEqual(outcome, { maxNumSeqs: 96, by: 'deployment', at: ['args[1]'] });
    const none = place(deployment({ args: ['m'] }), placement({ maxBatch: 96, setBatch: false }));
    assert.match(none.outcome?.problem ?? '', /sets no --max-num-seqs: vLLM uses its default/);
  });
});

describe('diff', () => {
  type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
  function randomJson(r: () => number, depth: number): Json {
    const k = r();
    if (depth <= 0 || k < 0.3) return [null, true, 1, 'a', 'b~/c', 2.5][Math.floor(r() * 6)] ?? null;
    if (k < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth - 1));
    return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, (_, i) => [[`k${i}`, 'a/b', 'x~y', ''][Math.floor(r() * 4)] ?? 'k', randomJson(r, depth - 1)]));
  }
  /** A copy-on-write edit of `v`: random paths copied and changed, everything else shared. */
  function edit(r: () => number, v: Json, depth: number): Json {
    if (v === null || typeof v !== 'object' || r() < 0.3 || depth <= 0) return r() < 0.5 ? v : randomJson(r, 2);
    if (Array.isArray(v)) {
      const copy = [...v];
      if (copy.length > 0 && r() < 0.6) {
        const i = Math.floor(r() * copy.length);
        copy[i] = edit(r, copy[i] ?? null, depth - 1);
      }
      if (r() < 0.3) copy.push(randomJson(r, 1));
      if (r() < 0.3) copy.splice(Math.floor(r() * (copy.length + 1)), 1);
      return copy;
    }
    const copy = { ...v };
    const keys = Object.keys(copy);
    const key = keys[Math.floor(r() * keys.length)];
    if (key !== undefined && r() < 0.6) copy[key] = edit(r, copy[key] ?? null, depth - 1);
    if (key !== undefined && r() < 0.2) Reflect.deleteProperty(copy, key);
    if (r() < 0.3) copy[`new${Math.floor(r() * 3)}`] = randomJson(r, 1);
    return copy;
  }

  test('2000 random copy-on-write edits: the diff applies to the edited value, like fast-json-patch\'s compare', () => {
    const r = rng(11);
    for (let i = 0; i < 2000; i++) {
      const a = { root: randomJson(r, 4) };
      const b = { ...a, root: edit(r, a.root, 5) };
      const ops = diff(a, b);
      const got = jsonpatch.applyPatch(structuredClone(a), ops as PatchOperation[], true, false).newDocument;
      assert.deepEqual(got, b, `case ${i}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
      assert.deepEqual(ops, jsonpatch.compare(a, b), `case ${i}: same operations as fast-json-patch`);
    }
  });

  test('shared subtrees are skipped by identity: cost follows the edit, not the object', () => {
    const huge: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) huge[`f:${i}`] = { v: i };
    const a = { metadata: { managedFields: huge, annotations: {} }, spec: { replicas: 1 } };
    const b = { ...a, spec: { replicas: 2 } };
    const t0 = performance.now();
    assert.deepEqual(diff(a, b), [{ op: 'replace', path: '/spec/replicas', value: 2 }]);
    // Only a property check of the algorithm (the walk never enters managedFields); timing lives in the benchmarks.
    assert.ok(performance.now() - t0 < 1000);
  });
});
