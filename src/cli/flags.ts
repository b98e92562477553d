// Typed, bounded option values for the emulate, load and collect commands: every number that drives work has a
// range, and a bad value is a usage error naming the flag.
import { parseSeconds } from '../engine/arrivals.js';
import { UsageError } from './usage.js';

export function wholeFlag(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}; got "${value}"`, command);
  return n;
}

export function numberFlag(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${flag} must be a number from ${min} to ${max}; got "${value}"`, command);
  return n;
}

/** "30s", "2m", "500ms", "1h" or plain seconds → seconds. */
export function secondsFlag(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const s = parseSeconds(value);
  if (!Number.isFinite(s) || s < min || s > max) throw new UsageError(`--${flag} must be a duration from ${min} s to ${max} s, like 30s, 2m or 500ms; got "${value}"`, command);
  return s;
}
