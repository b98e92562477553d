// `inferno emulate`: one emulated vLLM replica over plain HTTP, timed by a performance profile (flags, or an
// Optimizer's profile for one accelerator), until SIGTERM or SIGINT.
import { resolve } from 'node:path';
import type { EngineParams } from '../engine/engine.js';
import { EngineLimits } from '../engine/engine.js';
import type { EmulatorOptions } from '../emulator/server.js';
import { EmulatorLimits, startEmulator } from '../emulator/server.js';
import { numberFlag, secondsFlag, wholeFlag } from './flags.js';
import { readOptimizers } from './optimizer-files.js';
import { jsonLog } from './serve.js';
import type { Io } from './usage.js';
import { UsageError, parseCommandArgs } from './usage.js';

const C = 'emulate';

export const emulateHelp = `Usage: inferno emulate (--optimizer FILE --accelerator ACC | --model NAME --alpha A --beta B) [options]

Runs one emulated vLLM replica of one model on one accelerator, over plain HTTP as vLLM serves:
POST /v1/completions and /v1/chat/completions (streaming or not), GET /v1/models, /health and /metrics with
vLLM's metric names. Requests are batched continuously up to --max-num-seqs, the rest wait in a queue; each decode
iteration takes alpha + beta*n ms and each prefill gamma + delta*inputTokens*n ms (n = requests in the batch),
times a random noise factor. A prompt's tokens are its whitespace-separated words; a request generates exactly
max_tokens tokens (default 16).

Options:
      --optimizer FILE      take model name, batch size and profile from the Optimizer in FILE (other kinds in the
                            file are skipped)
      --optimizer-name N    which Optimizer, when FILE has several
      --accelerator ACC     the profile to emulate (its "acc"); needed with --optimizer
      --model NAME          served model name (default: the Optimizer's spec.modelID)
      --alpha MS, --beta MS decode time per iteration: alpha + beta*n (override the profile)
      --gamma MS, --delta MS
                            prefill time: gamma + delta*inputTokens*n (default 0, or the profile's)
      --max-num-seqs N      batch slots, 1 to ${EngineLimits.maxNumSeqs} (default: the profile's maxBatchSize, else 256)
      --max-waiting N       queue bound: beyond it requests get HTTP 503 and count as aborted (default 1000)
      --max-model-len N     prompt + completion tokens per request, 2 to ${EmulatorLimits.maxModelLen} (default 32768)
      --kv-cache-tokens N   KV-cache capacity in tokens (default: max-num-seqs x max-model-len, never the limit)
      --noise SIGMA         spread of the lognormal noise on every iteration, 0 to 2 (default 0.05; 0 = exact)
      --seed N              noise seed (default 1)
      --port N              port (default 8000; 0 picks a free one)
      --host H              address to bind (default 127.0.0.1; 0.0.0.0 in a container)
      --startup-seconds S   /health answers 503 and completions are refused for this long (default 0)
  -h, --help                this help

Logs are JSON lines on stderr. Exit codes: 0 stopped by a signal, 2 usage or input error, 1 failure.
`;

const options = {
  optimizer: { type: 'string' },
  'optimizer-name': { type: 'string' },
  accelerator: { type: 'string' },
  model: { type: 'string' },
  alpha: { type: 'string' },
  beta: { type: 'string' },
  gamma: { type: 'string' },
  delta: { type: 'string' },
  'max-num-seqs': { type: 'string' },
  'max-waiting': { type: 'string' },
  'max-model-len': { type: 'string' },
  'kv-cache-tokens': { type: 'string' },
  noise: { type: 'string' },
  seed: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'startup-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Profile {
  readonly model?: string;
  readonly maxBatchSize?: number;
  readonly alpha?: number;
  readonly beta?: number;
  readonly gamma?: number;
  readonly delta?: number;
}

async function profileFromOptimizer(file: string, name: string | undefined, acc: string | undefined): Promise<Profile> {
  const found = await readOptimizers(file);
  if (found.length === 0) throw new UsageError(`${file} has no Optimizer`, C);
  const pick = name === undefined ? found : found.filter((f) => f.o.metadata.name === name);
  const names = found.map((f) => f.o.metadata.name).join(', ');
  if (pick.length === 0) throw new UsageError(`${file} has no Optimizer named "${name ?? ''}" (it has ${names})`, C);
  if (pick.length > 1) throw new UsageError(`${file} has several Optimizers (${names}): choose one with --optimizer-name`, C);
  const o = pick[0]?.o;
  if (o === undefined) throw new UsageError(`${file} has no Optimizer`, C);
  const accs = o.spec.modelProfile.accelerators;
  if (acc === undefined) throw new UsageError(`--optimizer needs --accelerator, one of ${accs.map((a) => a.acc).join(', ')}`, C);
  const p = accs.find((a) => a.acc === acc);
  if (p === undefined) throw new UsageError(`Optimizer ${o.metadata.name} has no profile for accelerator "${acc}" (it has ${accs.map((a) => a.acc).join(', ')})`, C);
  return { model: o.spec.modelID, maxBatchSize: o.spec.maxBatchSize ?? p.maxBatchSize, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta };
}

export async function parseEmulateArgs(args: readonly string[], cwd: string): Promise<EmulatorOptions | 'help'> {
  const { values: v } = parseCommandArgs(C, args, options);
  if (v.help === true) return 'help';
  if (v.optimizer === undefined && (v['optimizer-name'] !== undefined || v.accelerator !== undefined)) {
    throw new UsageError('--optimizer-name and --accelerator need --optimizer', C);
  }
  const profile: Profile = v.optimizer !== undefined ? await profileFromOptimizer(resolve(cwd, v.optimizer), v['optimizer-name'], v.accelerator) : {};
  const model = v.model ?? profile.model;
  if (model === undefined || model.trim() === '') throw new UsageError('name the model: --model NAME, or --optimizer FILE --accelerator ACC', C);
  const ms = (flag: 'alpha' | 'beta' | 'gamma' | 'delta', fallback: number | undefined): number => {
    const x = numberFlag(C, flag, v[flag], fallback ?? Number.NaN, 0, 1e6);
    if (Number.isNaN(x)) throw new UsageError(`--${flag} is needed (decode time alpha + beta*n ms), or take a profile with --optimizer`, C);
    return x;
  };
  const maxNumSeqs = wholeFlag(C, 'max-num-seqs', v['max-num-seqs'], Math.min(profile.maxBatchSize ?? 256, EngineLimits.maxNumSeqs), 1, EngineLimits.maxNumSeqs);
  const maxModelLen = wholeFlag(C, 'max-model-len', v['max-model-len'], 32_768, 2, EmulatorLimits.maxModelLen);
  const engine: EngineParams = {
    alpha: ms('alpha', profile.alpha),
    beta: ms('beta', profile.beta),
    gamma: ms('gamma', profile.gamma ?? 0),
    delta: ms('delta', profile.delta ?? 0),
    maxNumSeqs,
    maxWaiting: wholeFlag(C, 'max-waiting', v['max-waiting'], 1000, 1, EngineLimits.maxWaiting),
    kvCapacityTokens: wholeFlag(C, 'kv-cache-tokens', v['kv-cache-tokens'], maxNumSeqs * maxModelLen, 1, EngineLimits.maxKvTokens),
    noiseSigma: numberFlag(C, 'noise', v.noise, 0.05, 0, 2),
  };
  if (engine.alpha + engine.beta <= 0) throw new UsageError('--alpha + --beta must be positive: a decode iteration takes time', C);
  return {
    model, engine, maxModelLen,
    port: wholeFlag(C, 'port', v.port, 8000, 0, 65535),
    host: v.host ?? '127.0.0.1',
    startupMs: secondsFlag(C, 'startup-seconds', v['startup-seconds'], 0, 0, EmulatorLimits.maxStartupMs / 1000) * 1000,
    seed: wholeFlag(C, 'seed', v.seed, 1, 0, 2 ** 32 - 1),
  };
}

export async function emulateCommand(args: readonly string[], io: Io): Promise<number> {
  const config = await parseEmulateArgs(args, io.cwd);
  if (config === 'help') {
    io.stdout.write(emulateHelp);
    return 0;
  }
  const log = jsonLog(io.stderr);
  // Signals are handled from before the port opens: a supervisor that stops us as soon as we listen gets a clean exit.
  let stop = (): void => undefined;
  const stopped = new Promise<void>((ok) => { stop = ok; });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    let emulator;
    try {
      emulator = await startEmulator({ ...config, log });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        throw new UsageError(`cannot listen on ${config.host ?? ''}:${config.port ?? 0}: ${err.code}`, C);
      }
      throw e;
    }
    log('info', 'emulating', { model: config.model, ...config.engine, maxModelLen: config.maxModelLen, startupMs: config.startupMs });
    await stopped;
    await emulator.close();
    log('info', 'stopped');
    return 0;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
