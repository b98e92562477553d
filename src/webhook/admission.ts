// The AdmissionReview v1 wire format: reading a request envelope into an AdmissionRequest and writing a Verdict
// back as a response envelope. Schemas describe only the fields inferno reads (looseObject: everything else is
// kept and ignored); request.object is handed on exactly as received, because patches are diffs against it.
import { z } from 'zod';
import { ReportLimits } from '../domain/limits.js';
import type { AdmissionRequest, Verdict } from './types.js';

export const AdmissionApiVersion = 'admission.k8s.io/v1';
export const AdmissionKind = 'AdmissionReview';

// What we must know before we can answer in-band: the protocol version and whom to answer (uid).
const EnvelopeSchema = z.looseObject({
  apiVersion: z.literal(AdmissionApiVersion),
  kind: z.literal(AdmissionKind),
  request: z.looseObject({ uid: z.string().min(1) }),
});

const RequestSchema = z.looseObject({
  uid: z.string().min(1),
  kind: z.looseObject({ group: z.string(), version: z.string(), kind: z.string() }),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  namespace: z.string().optional(),
  name: z.string().optional(),
  dryRun: z.boolean().optional(),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
});

export type ReadResult =
  /** a well-formed request for a handler */
  | { readonly type: 'request'; readonly request: AdmissionRequest }
  /** an AdmissionReview v1 with a uid but a malformed request: answer in-band (deny 400) */
  | { readonly type: 'invalid'; readonly uid: string; readonly message: string }
  /** not an AdmissionReview v1 with a uid: nothing to answer in-band, answer with an HTTP 400 */
  | { readonly type: 'rejected'; readonly message: string };

const maxMessage = 1000;

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: string): string {
  const text = issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter((s) => s !== '').join('.') || '(body)'}: ${i.message}`)
    .join('; ');
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return truncate(text + more, maxMessage);
}

export function readAdmissionReview(body: unknown): ReadResult {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success) return { type: 'rejected', message: `not an ${AdmissionApiVersion} AdmissionReview request: ${describeIssues(envelope.error.issues, '')}` };
  // The raw request (not zod's copy) is what object/oldObject are read from: never a re-built or stripped object.
  const raw = envelope.data.request;
  const parsed = RequestSchema.safeParse(raw);
  if (!parsed.success) return { type: 'invalid', uid: raw.uid, message: `malformed AdmissionReview request: ${describeIssues(parsed.error.issues, 'request')}` };
  const r = parsed.data;
  return {
    type: 'request',
    request: {
      uid: r.uid,
      kind: { group: r.kind.group, version: r.kind.version, kind: r.kind.kind },
      operation: r.operation,
      namespace: r.namespace,
      name: r.name,
      dryRun: r.dryRun ?? false,
      object: raw['object'],
      oldObject: raw['oldObject'],
    },
  };
}

/** Verdicts decided by the transport itself, before any handler: a DELETE has nothing to validate or mutate. */
export function shortCircuit(request: AdmissionRequest): Verdict | undefined {
  return request.operation === 'DELETE' ? { type: 'allow', warnings: [] } : undefined;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly message: string };
  readonly patchType?: 'JSONPatch';
  /** base64 of the JSON-encoded RFC 6902 operations */
  readonly patch?: string;
  readonly warnings?: readonly string[];
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof AdmissionApiVersion;
  readonly kind: typeof AdmissionKind;
  readonly response: AdmissionResponse;
}

// The API server documentation asks for warnings of at most 120 characters; longer ones may be cut anyway.
export const maxWarningLength = ReportLimits.maxWarningLength;

// C0 and C1 controls, DEL, and the bidirectional overrides and isolates ("Trojan Source"): text from the object
// (names, annotation values) ends up in terminals and HTTP Warning headers, where these would act, not show.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unsafeChars = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every unsafe character written as \uXXXX; `keepNewlines` for multi-line denial messages. */
export function escapeControls(text: string, keepNewlines = false): string {
  return text.replace(unsafeChars, (c) => (keepNewlines && c === '\n' ? c : escapeChar(c)));
}

/** At most maxWarnings warnings (the last one says how many more there were), each escaped and short. */
function boundedWarnings(warnings: readonly string[]): string[] {
  const max = ReportLimits.maxWarnings;
  const shown = warnings.length > max ? [...warnings.slice(0, max - 1), `… and ${warnings.length - max + 1} more warnings`] : warnings;
  return shown.map((w) => truncate(escapeControls(w), maxWarningLength));
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const chars = Array.from(s); // code points: never split a surrogate pair
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

export function reviewResponse(uid: string, verdict: Verdict): AdmissionReviewResponse {
  const warnings = boundedWarnings(verdict.warnings);
  const tail = warnings.length > 0 ? { warnings } : {};
  let response: AdmissionResponse;
  switch (verdict.type) {
    case 'allow':
      response = { uid, allowed: true, ...tail };
      break;
    case 'deny':
      response = { uid, allowed: false, status: { code: verdict.code, message: truncate(escapeControls(verdict.message, true), ReportLimits.maxMessageLength) }, ...tail };
      break;
    case 'patch':
      response = verdict.ops.length === 0
        ? { uid, allowed: true, ...tail }
        : { uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(verdict.ops)).toString('base64'), ...tail };
      break;
  }
  return { apiVersion: AdmissionApiVersion, kind: AdmissionKind, response };
}
