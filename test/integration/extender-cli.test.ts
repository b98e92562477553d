// `inferno serve` as an operator runs it, with the extender routes on (the default) and off (--no-extender): a child
// process deciding from samples/scenario.yaml, whose A100 nodes carry the names of the recorded ExtenderArgs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ExtenderPath } from '../../src/domain/keys.js';
import { inferno, infernoBin } from '../support/cli.js';
import { call } from '../support/https.js';

const scenario = new URL('../../samples/scenario.yaml', import.meta.url).pathname;
const namesFilter = readFileSync(new URL('../fixtures/extender/names-filter.json', import.meta.url), 'utf8');
let dir = '';
let ca = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inferno-extender-cli-'));
  const r = await inferno('certs', '--out', dir);
  assert.equal(r.code, 0, r.stderr);
  ca = await readFile(join(dir, 'ca.crt'), 'utf8');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `inferno serve --scenario … ARGS` until `use` is done; returns what it logged. */
async function withServe(args: string[], use: (port: number, routes: string[]) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [infernoBin, 'serve', '--scenario', scenario, '--host', '127.0.0.1', '--port', '0', '--cert-dir', dir, '--drain-seconds', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => { ok(code); }));
  let err = '';
  const listening = await new Promise<{ port: number; routes: string[] }>((ok, fail) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const line = err.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line !== undefined) ok(JSON.parse(line) as { port: number; routes: string[] });
    });
    void exited.then((code) => { fail(new Error(`inferno serve exited with ${String(code)}:\n${err}`)); });
  });
  try {
    await use(listening.port, listening.routes);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, err);
  }
}

test('inferno serve answers kube-scheduler on /filter and /prioritize by default, from the scenario\'s nodes', async () => {
  await withServe([], async (port, routes) => {
    assert.ok(routes.includes(ExtenderPath.filter) && routes.includes(ExtenderPath.prioritize), routes.join(' '));
    const f = await call(port, ca, { path: ExtenderPath.filter, body: namesFilter });
    assert.equal(f.status, 200, f.text);
    const body = JSON.parse(f.text) as { NodeNames: string[]; Error: string };
    assert.deepEqual(body, { Nodes: null, NodeNames: ['gpu-a100-0', 'gpu-a100-1', 'gpu-a100-3'], FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: '' });
    const p = await call(port, ca, { path: ExtenderPath.prioritize, body: namesFilter });
    assert.deepEqual(JSON.parse(p.text), [{ Host: 'gpu-a100-0', Score: 10 }, { Host: 'gpu-a100-1', Score: 9 }, { Host: 'gpu-a100-3', Score: 9 }]);
    const metrics = await call(port, ca, { path: '/metrics' });
    assert.match(metrics.text, /inferno_extender_requests_total\{verb="filter",result="ok"\} 1/);
  });
});

test('inferno serve --no-extender serves the webhook only: /filter is not found', async () => {
  await withServe(['--no-extender'], async (port, routes) => {
    assert.ok(!routes.includes(ExtenderPath.filter), routes.join(' '));
    const f = await call(port, ca, { path: ExtenderPath.filter, body: namesFilter });
    assert.equal(f.status, 404, f.text);
    assert.equal((await call(port, ca, { path: '/healthz' })).status, 200);
  });
});

test('inferno serve --help names the extender routes and the switch', async () => {
  const r = await inferno('serve', '--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /POST \/filter, \/prioritize/);
  assert.match(r.stdout, /--no-extender/);
});
