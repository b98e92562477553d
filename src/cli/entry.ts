// Process entry: the only place that hands process state to the CLI (bin/inferno.js runs it from dist/).
import { main } from './main.js';

// A reader that stops early (`inferno plan | head -1`) closes the pipe: that ends the command quietly, as in any
// Unix tool, instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, process.env);
