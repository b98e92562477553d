// Input problems are collected, never thrown one at a time: a user fixes all of them in one pass.
import type { z } from 'zod';

export interface InputIssue {
  /** file the problem is in, if any */
  readonly file?: string;
  /** which document of a multi-document YAML file (1-based) or which object */
  readonly document?: string;
  /** field path, e.g. spec.modelProfile.accelerators[1].alpha */
  readonly path: string;
  readonly message: string;
}

/** Where an input object came from, for messages. */
export interface Where {
  readonly file?: string;
  readonly document?: string;
}

export const at = (w: Where, path: string, message: string): InputIssue => ({ ...w, path, message });

export class InputError extends Error {
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[]) {
    super(formatIssues(issues));
    this.name = 'InputError';
    this.issues = issues;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      out += /^[A-Za-z_$][\w$-]*$/.test(s) ? (out === '' ? s : `.${s}`) : `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

export function issueLocation(i: Omit<InputIssue, 'message'>): string {
  const where = [i.file, i.document].filter((x): x is string => x !== undefined && x !== '').join(' ');
  const path = i.path === '' ? '' : i.path;
  return [where, path].filter((x) => x !== '').join(': ');
}

export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => {
    const loc = issueLocation(i);
    return loc === '' ? i.message : `${loc}: ${i.message}`;
  }).join('\n');
}

/** The first `max` issues, then how many more there are: a denial stays readable whatever the input holds. */
export function formatIssuesBounded(issues: readonly InputIssue[], max: number): string {
  const shown = formatIssues(issues.slice(0, max));
  return issues.length > max ? `${shown}\n… and ${issues.length - max} more` : shown;
}

/** zod issues → ours, with a path prefix (e.g. the field that held an embedded YAML document). */
export function fromZod(error: z.ZodError, at: { file?: string; document?: string; prefix?: readonly PropertyKey[] } = {}): InputIssue[] {
  return error.issues.map((issue) => ({
    ...(at.file !== undefined ? { file: at.file } : {}),
    ...(at.document !== undefined ? { document: at.document } : {}),
    path: formatPath([...(at.prefix ?? []), ...issue.path]),
    message: issue.message,
  }));
}
