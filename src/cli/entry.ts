// Process entry: the only place that hands process state to the CLI (bin/inferno.js in development, dist in images).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }, process.env);
