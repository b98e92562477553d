// npm run bench:startup — wall time of whole `inferno` processes as a user starts them (node bin/inferno.js …,
// the compiled CLI), median of N runs, one JSON line per command. Every run is a fresh process: nothing is warm but
// the OS file cache, which a user's second run has too.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/inferno.js', import.meta.url));
const runs = Number(process.env['BENCH_RUNS'] ?? 15);
const cases: { name: string; args: string[] }[] = [
  { name: 'node (bare, for reference)', args: [] },
  { name: 'inferno --help', args: [bin, '--help'] },
  { name: 'inferno plan (bundled sample)', args: [bin, 'plan'] },
  { name: 'inferno validate (bundled sample models)', args: [bin, 'validate', '-f', fileURLToPath(new URL('../../samples/optimizer-granite.yaml', import.meta.url))] },
];

execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
for (const c of cases) {
  const args = c.args.length > 0 ? c.args : ['-e', ''];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${c.name} exited ${String(r.status)}: ${r.stderr.toString()}`);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'startup', command: c.name, runs, medianMs: Math.round(median(times)), minMs: Math.round(Math.min(...times)), load1: Number((await import('node:os')).loadavg()[0]?.toFixed(2)) })}\n`);
}
