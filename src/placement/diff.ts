// JSON Patch by diff (RFC 6902), for an edited object that shares every untouched subtree with the original: shared
// subtrees are skipped by identity, so the cost follows what inferno changed, not the size of the object (a
// Deployment with managedFields and a last-applied annotation can be megabytes). The operations are those
// fast-json-patch's compare() gives for the same pair: removals from the highest key or index down, then
// additions, `replace` where a value changed.

export interface PatchOp {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path: string;
  readonly value?: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 6901: `~` first, then `/`. */
export const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

function keysOf(v: Obj | unknown[]): string[] {
  return Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
}

function walk(a: Obj | unknown[], b: Obj | unknown[], path: string, out: PatchOp[]): void {
  const oldKeys = keysOf(a);
  const has = (o: Obj | unknown[], k: string): boolean => (Array.isArray(o) ? Number(k) < o.length : Object.hasOwn(o, k));
  const at = (o: Obj | unknown[], k: string): unknown => (Array.isArray(o) ? o[Number(k)] : o[k]);
  for (let i = oldKeys.length - 1; i >= 0; i--) {
    const k = oldKeys[i] ?? '';
    const p = `${path}/${escapePointer(k)}`;
    if (has(b, k)) diffInto(at(a, k), at(b, k), p, out);
    else out.push({ op: 'remove', path: p });
  }
  for (const k of keysOf(b)) {
    if (!has(a, k)) out.push({ op: 'add', path: `${path}/${escapePointer(k)}`, value: at(b, k) });
  }
}

function diffInto(a: unknown, b: unknown, path: string, out: PatchOp[]): void {
  if (a === b) return;
  const bothObjects = isObj(a) && isObj(b);
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if (bothObjects || bothArrays) walk(a as Obj | unknown[], b as Obj | unknown[], path, out);
  else out.push({ op: 'replace', path, value: b });
}

/** The operations that turn `a` into `b`. */
export function diff(a: unknown, b: unknown): PatchOp[] {
  const out: PatchOp[] = [];
  diffInto(a, b, '', out);
  return out;
}
