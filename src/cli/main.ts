// The `inferno` command: dispatch, and the one place where errors become exit codes and messages. Each command's
// module is loaded only when it runs, so `inferno --help` and `inferno plan` never load what `serve` needs.
import { readFileSync } from 'node:fs';
import type { InputIssue } from '../cluster/issues.js';
import { InputError, issueLocation } from '../cluster/issues.js';
import { fsProblem } from '../io/input-files.js';
import type { Io } from './usage.js';
import { UsageError } from './usage.js';

type Run = (args: readonly string[], io: Io) => Promise<number>;

const commands: Record<string, { readonly summary: string; readonly load: () => Promise<Run> }> = {
  plan: { summary: 'choose GPU type, replicas and batch size for every model server', load: async () => (await import('./plan.js')).planCommand },
  validate: { summary: 'check Optimizer resources and inferno ConfigMaps as the webhook does', load: async () => (await import('./validate.js')).validateCommand },
  serve: { summary: 'run the admission webhook server (HTTPS)', load: async () => (await import('./serve.js')).serveCommand },
  scale: { summary: 'run one scaler tick offline on a scenario and print what it would do', load: async () => (await import('./scale.js')).scaleCommand },
  certs: { summary: 'create a CA and the webhook serving certificate', load: async () => (await import('./certs.js')).certsCommand },
  emulate: { summary: 'run an emulated vLLM replica (HTTP, vLLM metrics) timed by a performance profile', load: async () => (await import('./emulate.js')).emulateCommand },
  load: { summary: 'send open-loop load to vLLM servers and measure rate, TTFT and ITL', load: async () => (await import('./load.js')).loadCommand },
  collect: { summary: "print the load each Optimizer's model server shows in Prometheus", load: async () => (await import('./collect.js')).collectCommand },
  simulate: { summary: 'replay traffic against a simulated GPU fleet and compare autoscaling policies', load: async () => (await import('./simulate.js')).simulateCommand },
};

export const mainHelp = `Usage: inferno <command> [options]

inferno runs vLLM inference servers on Kubernetes at the lowest GPU cost that still meets their latency SLOs.

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join('\n')}

Run 'inferno <command> --help' (or 'inferno help <command>') for a command's options; 'inferno --version' for the version.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

const verbs: Record<string, string> = {
  open: 'open', read: 'read', stat: 'read', lstat: 'read', scandir: 'list', readlink: 'read', access: 'read',
  mkdir: 'create the folder', write: 'write', rename: 'write', copyfile: 'write', chmod: 'write', unlink: 'remove', rmdir: 'remove',
};

/** Node's file-system errors carry the path and the call: name both, in words. */
function fileSystemError(e: unknown): InputIssue | undefined {
  const err = e as Partial<NodeJS.ErrnoException> | undefined;
  if (!(e instanceof Error) || typeof err?.code !== 'string' || typeof err.path !== 'string' || typeof err.syscall !== 'string') return undefined;
  return fsProblem(err.path, e, verbs[err.syscall] ?? err.syscall);
}

function report(name: string, e: unknown, io: Io, env: Readonly<Record<string, string | undefined>>): number {
  if (e instanceof UsageError) {
    io.stderr.write(`inferno ${e.command}: ${e.message}\nRun 'inferno ${e.command} --help' for usage.\n`);
    return 2;
  }
  if (e instanceof InputError) {
    const n = e.issues.length;
    io.stderr.write(`inferno ${name}: ${n} problem${n === 1 ? '' : 's'} in the input:\n`);
    for (const i of e.issues) {
      const loc = issueLocation(i);
      io.stderr.write(`  - ${loc === '' ? '' : `${loc}: `}${i.message}\n`);
    }
    return 2;
  }
  const fs = fileSystemError(e);
  if (fs !== undefined) {
    // A path the user gave (or the default one) that cannot be read or written: their input, not our bug.
    io.stderr.write(`inferno ${name}: ${fs.file ?? ''}: ${fs.message}\n`);
    return 2;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(`inferno ${name}: internal error: ${err.message}\n`);
  if (env['INFERNO_DEBUG'] === '1' && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
  return 1;
}

export async function main(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>> = {}): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V' || first === 'version') {
    io.stdout.write(`inferno ${version()}\n`);
    return 0;
  }
  // `inferno help plan` is `inferno plan --help`.
  const [name, args] = first === 'help' && rest[0] !== undefined ? [rest[0], ['--help']] : [first, rest];
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    io.stderr.write(`inferno: unknown command "${name}"\n\n${mainHelp}`);
    return 2;
  }
  try {
    return await (await command.load())(args, io);
  } catch (e) {
    return report(name, e, io, env);
  }
}
