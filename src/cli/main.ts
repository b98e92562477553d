// The `inferno` command: dispatch, and the one place where errors become exit codes and messages.
import { InputError, issueLocation } from '../cluster/issues.js';
import { certsCommand, certsHelp } from './certs.js';
import { planCommand, planHelp } from './plan.js';
import { serveCommand, serveHelp } from './serve.js';
import { validateCommand, validateHelp } from './validate.js';
import type { Io } from './usage.js';
import { UsageError } from './usage.js';

const commands: Record<string, { summary: string; help: string; run: (args: readonly string[], io: Io) => Promise<number> }> = {
  plan: { summary: 'choose GPU type, replicas and batch size for every model server', help: planHelp, run: planCommand },
  validate: { summary: 'check Optimizer resources and inferno ConfigMaps as the webhook does', help: validateHelp, run: validateCommand },
  serve: { summary: 'run the admission webhook server (HTTPS)', help: serveHelp, run: serveCommand },
  certs: { summary: 'create a CA and the webhook serving certificate', help: certsHelp, run: certsCommand },
};

export const mainHelp = `Usage: inferno <command> [options]

inferno runs vLLM inference servers on Kubernetes at the lowest GPU cost that still meets their latency SLOs.

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join('\n')}

Run 'inferno <command> --help' for a command's options.
`;

export async function main(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>> = {}): Promise<number> {
  const [name, ...rest] = argv;
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
    return await command.run(rest, io);
  } catch (e) {
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
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr.write(`inferno ${name}: internal error: ${err.message}\n`);
    if (env['INFERNO_DEBUG'] === '1' && err.stack !== undefined) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}
