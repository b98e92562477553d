// The no-orphans guarantee: SIGKILL the process that owns a running control plane and check that
// every control-plane process is gone, every port is free again and the temporary directory is removed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { portIsFree, processAlive, REPO_ROOT, waitFor } from './cluster.js';

const Held = z.object({
  workdir: z.string(),
  ports: z.record(z.string(), z.number()),
  pids: z.array(z.number()),
});

void describe('e2e teardown', { timeout: 300_000 }, () => {
  void it('leaves no process, port or temp dir behind when the test process is killed with SIGKILL', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/e2e/support/hold-cluster.ts')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => holder.once('exit', () => { resolve(); }));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: holder.stdout });
        rl.once('line', resolve);
        holder.once('exit', (code) => { reject(new Error(`hold-cluster exited (${String(code)}) before the cluster was up`)); });
      });
      const held = Held.parse(JSON.parse(line));
      assert.ok(held.pids.length >= 10, `pids: ${held.pids.join(' ')}`);
      for (const pid of held.pids) assert.ok(processAlive(pid), `pid ${pid} alive before the kill`);

      holder.kill('SIGKILL');
      await exited;

      await waitFor('every control-plane process to exit', () => Promise.resolve(held.pids.every((pid) => !processAlive(pid))), {
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      for (const [name, port] of Object.entries(held.ports)) {
        assert.equal(await portIsFree(port), true, `${name} port ${port} still bound`);
      }
      await waitFor('the temporary directory to be removed', () => Promise.resolve(!existsSync(held.workdir)), {
        timeoutMs: 20_000,
        intervalMs: 200,
      });
    } finally {
      if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
    }
  });
});
