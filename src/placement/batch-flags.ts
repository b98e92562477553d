// The batch size on a vLLM container's command line. vLLM has no environment variable for it, so inferno puts the
// value in INFERNO_MAX_BATCH_SIZE and makes every --max-num-seqs reference it: Kubernetes expands $(VAR) in command
// and args (anywhere in each string, before any shell sees it). Every occurrence is rewritten, in both spellings
// (vLLM's parser accepts --max_num_seqs too) and both forms (=N, or N as the next element), because argparse takes
// the last one: leaving any alone would let it win. A flag inside a `sh -c` script is rewritten only where its
// value is a plain token; anything else is reported, never silently left.

export const MaxNumSeqsFlag = '--max-num-seqs';
export const BatchSizeEnv = 'INFERNO_MAX_BATCH_SIZE';
/** what every --max-num-seqs becomes */
export const BatchSizeArg = `${MaxNumSeqsFlag}=$(${BatchSizeEnv})`;

export interface FlagEdit {
  /** the new command and args (the same arrays when nothing changed) */
  readonly command: readonly unknown[] | undefined;
  readonly args: readonly unknown[] | undefined;
  /** where the flag now references the variable, e.g. ["args[5]"], ["command[2] (sh -c script)"] */
  readonly at: readonly string[];
  /** why the batch size does not reach vLLM; undefined when it does */
  readonly problem?: string;
}

const flagName = /^--max[-_]num[-_]seqs$/;
const flagWithValue = /^--max[-_]num[-_]seqs=/;
const shells = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);
const baseName = (s: string): string => s.slice(s.lastIndexOf('/') + 1);

interface ShellUse {
  /** the shell the command runs, if it does */
  readonly shell?: string;
  /** the element of the combined argv (command then args) that holds its -c script */
  readonly script?: number;
}

const wordAt = (argv: readonly unknown[], k: number): string | undefined => (typeof argv[k] === 'string' ? argv[k] : undefined);

/** The index after `env [-opts] [NAME=value…]`, or 0 when the command does not start with env. */
function afterEnv(argv: readonly unknown[]): number {
  if (baseName(wordAt(argv, 0) ?? '') !== 'env') return 0;
  let i = 1;
  while (/^(-\S*|[A-Za-z_][A-Za-z0-9_]*=.*)$/s.test(wordAt(argv, i) ?? '')) i++;
  return i;
}

/** The shell at `i` (through `busybox sh` too) and the index after it. */
function shellAt(argv: readonly unknown[], i: number): { shell: string; next: number } | undefined {
  const name = baseName(wordAt(argv, i) ?? '');
  if (!shells.has(name)) return undefined;
  if (name !== 'busybox') return { shell: name, next: i + 1 };
  const applet = wordAt(argv, i + 1) ?? '';
  return shells.has(applet) && applet !== 'busybox' ? { shell: applet, next: i + 2 } : undefined;
}

/** After the shell's options: the index of its -c script, if it was given -c (alone or combined, e.g. -ec). */
function scriptAfterOptions(argv: readonly unknown[], from: number): number | undefined {
  let command = false;
  let i = from;
  for (; i < argv.length; i++) {
    const w = wordAt(argv, i);
    if (w === undefined || !/^[-+]/.test(w) || w === '-' || w === '--') break;
    if (/^-[A-Za-z]*c[A-Za-z]*$/.test(w)) command = true;
    else if (/^[-+][oO]$/.test(w)) i++; // takes an option name
  }
  if (wordAt(argv, i) === '--') i++;
  return command && wordAt(argv, i) !== undefined ? i : undefined;
}

function shellOf(argv: readonly unknown[], commandLength: number): ShellUse {
  if (commandLength === 0) return {}; // without a command, args go to the image's entrypoint, not a shell
  const found = shellAt(argv, afterEnv(argv));
  if (found === undefined) return {};
  const script = scriptAfterOptions(argv, found.next);
  return script !== undefined ? { shell: found.shell, script } : { shell: found.shell };
}

// In a script: the flag, then `=` or blanks, then its value: a shell word (quoted and unquoted parts) up to the next
// blank, operator or unbalanced quote.
const inScript = /(^|[\s;&|(`'"])--max[-_]num[-_]seqs(=|(?:[ \t]|\\\n)+)((?:"[^"\n]*"|'[^'\n]*'|[^\s;&|)`'"])*)/g;
/** values inferno may replace: a number (quoted or not) or a reference to its own variable */
const plainValue = /^(\d+|'\d+'|"\d+"|\$\(INFERNO_MAX_BATCH_SIZE\)|\$\{?INFERNO_MAX_BATCH_SIZE\}?|"\$\{?INFERNO_MAX_BATCH_SIZE\}?")$/;

interface ScriptEdit { readonly text: string; readonly count: number; readonly unsafe: readonly string[] }

function rewriteScript(script: string): ScriptEdit {
  let count = 0;
  const unsafe: string[] = [];
  const text = script.replace(inScript, (whole, lead: string, _sep: string, value: string) => {
    if (!plainValue.test(value)) {
      unsafe.push(value === '' ? '(no value)' : value);
      return whole;
    }
    count++;
    return `${lead}${BatchSizeArg}`;
  });
  return { text, count, unsafe };
}

/** Rewrites exec-form flags in place; the element indices (after the edit) that now hold the flag. */
function rewriteArgv(argv: unknown[], from: number): number[] {
  const at: number[] = [];
  for (let i = from; i < argv.length; i++) {
    const a = argv[i];
    if (typeof a !== 'string') continue;
    if (flagWithValue.test(a)) {
      argv[i] = BatchSizeArg;
      at.push(i);
    } else if (flagName.test(a)) {
      // "--max-num-seqs N": both elements become one; a missing value (or another flag) leaves only the flag.
      const next = argv[i + 1];
      const hasValue = typeof next === 'string' && !next.startsWith('-');
      argv.splice(i, hasValue ? 2 : 1, BatchSizeArg);
      at.push(i);
    }
  }
  return at;
}

const snippet = (s: string): string => (s.length > 24 ? `${s.slice(0, 23)}…` : s);

/**
 * Makes every --max-num-seqs of a container reference INFERNO_MAX_BATCH_SIZE; adds one to args when there is none
 * (exec form only). Pure: returns new arrays, the inputs are left as they are.
 */
export function editBatchFlags(command: readonly unknown[] | undefined, args: readonly unknown[] | undefined): FlagEdit {
  const cmd = [...(command ?? [])];
  const arg = [...(args ?? [])];
  const argv = [...cmd, ...arg];
  const { shell, script } = shellOf(argv, cmd.length);
  const where = (i: number): string => (i < cmd.length ? `command[${i}]` : `args[${i - cmd.length}]`);

  let scriptEdit: ScriptEdit | undefined;
  const at: string[] = [];
  if (script !== undefined) {
    scriptEdit = rewriteScript(String(argv[script]));
    if (scriptEdit.count > 0) {
      if (script < cmd.length) cmd[script] = scriptEdit.text;
      else arg[script - cmd.length] = scriptEdit.text;
      at.push(`${where(script)} (shell script)`);
    }
  }
  // Elements after the script are the script's positional parameters ($0, $1, …): rewriting them is harmless and
  // keeps "$@"-style wrappers right. Before a script there are only the shell and its options.
  const skip = script !== undefined ? script + 1 : 0;
  for (const i of rewriteArgv(cmd, Math.min(skip, cmd.length))) at.push(`command[${i}]`);
  for (const i of rewriteArgv(arg, Math.max(skip - cmd.length, 0))) at.push(`args[${i}]`);

  const changed = (before: readonly unknown[] | undefined, after: unknown[]): readonly unknown[] | undefined =>
    (before === undefined && after.length === 0 ? undefined : after);
  if (scriptEdit !== undefined && scriptEdit.unsafe.length > 0) {
    return {
      command: changed(command, cmd), args: changed(args, arg), at,
      problem: `--max-num-seqs ${snippet(scriptEdit.unsafe[0] ?? '')} in the shell script of ${where(script ?? 0)} cannot be rewritten safely; use ${BatchSizeArg} there`,
    };
  }
  if (at.length > 0) return { command: changed(command, cmd), args: changed(args, arg), at };
  if (script !== undefined) {
    // A script that passes "$@" on (`sh -c 'exec vllm serve "$@"' vllm --model …`) gets the flag as one more
    // positional parameter, once $0 is taken; otherwise appending would only set a $N the script never reads.
    if (/\$[@*]|\$\{[@*]\}/.test(String(argv[script])) && argv.length > script + 1) {
      arg.push(BatchSizeArg);
      return { command, args: arg, at: [`args[${arg.length - 1}]`] };
    }
    return {
      command, args, at,
      problem: `the container runs a shell script (${where(script)}) with no --max-num-seqs; add ${BatchSizeArg} to the vllm command in it`,
    };
  }
  arg.push(BatchSizeArg);
  const added = `args[${arg.length - 1}]`;
  if (shell !== undefined) {
    return { command, args: arg, at: [added], problem: `${shell} runs a script file: ${added} reaches vLLM only if the script passes "$@" on to it` };
  }
  return { command, args: arg, at: [added] };
}

/** Where a container sets --max-num-seqs itself (for a Deployment that pins its own batch size). */
export function batchFlagLocations(command: readonly unknown[] | undefined, args: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  const scan = (list: readonly unknown[] | undefined, name: string): void => {
    (list ?? []).forEach((a, i) => {
      if (typeof a !== 'string') return;
      if (flagName.test(a) || flagWithValue.test(a)) out.push(`${name}[${i}]`);
      else if (/--max[-_]num[-_]seqs/.test(a)) out.push(`${name}[${i}] (shell script)`);
    });
  };
  scan(command, 'command');
  scan(args, 'args');
  return out;
}
