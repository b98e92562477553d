// The README's "Emulate vLLM and measure what the scaler sees" commands, run exactly as written (read from the
// README itself, through bash, from the repository root): the emulator, Prometheus and the load run in the
// background, the collection in the middle of the load run; its output must show what the load sent.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { havePrometheus } from '../support/prometheus.js';

const root = new URL('../../', import.meta.url).pathname;
const heading = '## Emulate vLLM and measure what the scaler sees';

function readmeCommands(): string[] {
  const text = readFileSync(new URL('README.md', `file://${root}`), 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, 'the README has the section');
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block?.[1] !== undefined, 'the section has a sh block');
  return block[1].split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

const portFree = (port: number): Promise<boolean> => new Promise((ok) => {
  const s = createServer();
  s.once('error', () => { ok(false); });
  s.listen(port, '127.0.0.1', () => { s.close(() => { ok(true); }); });
});

const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return;
    } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await sleep(200);
  }
}

interface Done { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** A command line through bash, in its own process group (npx starts children of its own). */
function run(line: string): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn('bash', ['-c', line], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-20_000); });
  const done = new Promise<Done>((ok) => { child.once('exit', (code) => { ok({ code, stdout, stderr }); }); });
  return { child, done };
}

const killGroup = (c: ChildProcess, signal: NodeJS.Signals): void => {
  try {
    if (c.pid !== undefined) process.kill(-c.pid, signal);
  } catch { /* gone */ }
};

const busy = async (): Promise<string | false> => {
  for (const p of [8000, 9090]) if (!(await portFree(p))) return `port ${p} is in use on this machine`;
  return false;
};

describe('README: emulate, load and collect', { skip: !havePrometheus ? 'no /usr/bin/prometheus' : await busy() }, () => {
  const background: { child: ChildProcess; done: Promise<Done> }[] = [];
  const killAll = (): void => { for (const b of background) killGroup(b.child, 'SIGKILL'); };
  process.on('exit', killAll);
  after(async () => {
    const tsdb: string[] = [];
    for (const b of background) {
      // Prometheus's temp TSDB, from its command line ("$(mktemp -d)" in the README).
      const cmdline = b.child.pid === undefined ? '' : await readFile(`/proc/${b.child.pid}/cmdline`, 'utf8').catch(() => '');
      const m = /--storage\.tsdb\.path=([^\0]+)/.exec(cmdline);
      if (m?.[1] !== undefined && m[1].startsWith('/tmp/')) tsdb.push(m[1]);
      killGroup(b.child, 'SIGTERM');
    }
    await Promise.race([Promise.all(background.map((b) => b.done)), sleep(5000)]);
    killAll();
    process.off('exit', killAll);
    for (const d of tsdb) await rm(d, { recursive: true, force: true });
  });

  test('the commands run as written and the collector sees what the load generator sent', { timeout: 180_000 }, async (t) => {
    const lines = readmeCommands();
    assert.equal(lines.length, 4);
    let loadRun: { done: Promise<Done> } | undefined;
    let collected: Done | undefined;
    for (const line of lines) {
      if (line.endsWith('&')) {
        const b = run(line.slice(0, -1).trim());
        background.push(b);
        if (line.includes('inferno load')) loadRun = b;
        if (line.includes('inferno emulate')) await waitFor('http://127.0.0.1:8000/health', 30_000);
        else if (line.startsWith('prometheus')) {
          await waitFor('http://127.0.0.1:9090/-/ready', 30_000);
          // Its first scrape comes a few seconds after start; a user would not type the next line faster.
          await waitFor(`http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent('up == 1')}`, 30_000);
        }
        continue;
      }
      const r = await run(line).done;
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      if (line.includes('inferno collect')) collected = r;
    }
    assert.ok(loadRun !== undefined && collected !== undefined);
    const load = await loadRun.done;
    assert.equal(load.code, 0, load.stderr);
    const sent = /^Sent (\d+) requests in ([\d.]+) s \(([\d.]+) req\/s\)/m.exec(load.stdout);
    assert.ok(sent !== null, load.stdout);
    assert.ok(Number(sent[1]) > 80, `sent ${sent[1]}`);
    assert.match(load.stdout, /^Outcomes: ok \d+$/m);
    assert.match(load.stderr, /^inferno load: \d+\/40 s, sent \d+, answered \d+, in flight \d+, failed 0$/m, 'progress on stderr');
    const row = /^default\/granite-13b\s+ibm-granite\/granite-13b-instruct\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+-$/m.exec(collected.stdout);
    assert.ok(row !== null, collected.stdout);
    const [arrivals, , , output] = row.slice(1).map(Number) as [number, number, number, number];
    // What the load sent per minute over its 40 s; the window holds about 80 of those Poisson arrivals, so ± 30 %
    // covers the sampling noise.
    const sentRpm = (Number(sent[1]) / 40) * 60;
    t.diagnostic(`collected ${arrivals} rpm; the load sent ${sentRpm.toFixed(1)} rpm`);
    assert.ok(Math.abs(arrivals - sentRpm) < 0.3 * sentRpm, `arrivals ${arrivals} rpm, sent ${sentRpm.toFixed(1)} rpm`);
    assert.equal(output, 128);
  });
});
