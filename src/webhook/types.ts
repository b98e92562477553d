// The seam between the admission transport (HTTP, AdmissionReview envelopes, metrics) and the admission decisions
// (validation of Optimizers and ConfigMaps, mutation of Deployments). Decisions never see HTTP; the transport never
// looks inside objects.

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The parts of an AdmissionReview v1 request the decisions use. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly operation: Operation;
  /** from request.namespace (controller-made objects may lack it in the object) */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly dryRun: boolean;
  /** the object exactly as received, never round-tripped: patches are diffs against it */
  readonly object: unknown;
  readonly oldObject: unknown;
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

export type Verdict =
  | { readonly type: 'allow'; readonly warnings: readonly string[] }
  /** code: 400 bad request, 403 policy denial, 422 invalid object, 500 internal */
  | { readonly type: 'deny'; readonly code: number; readonly message: string; readonly warnings: readonly string[] }
  /** ops is non-empty; an unchanged object is an 'allow' */
  | { readonly type: 'patch'; readonly ops: readonly JsonPatchOp[]; readonly warnings: readonly string[] };

export type AdmissionHandler = (req: AdmissionRequest) => Verdict | Promise<Verdict>;

/** How a handler's unexpected exception is answered: mutation fails open, validation fails closed. */
export type FailurePolicy = 'open' | 'closed';

export interface AdmissionRoute {
  /** e.g. /validate-optimizer */
  readonly path: string;
  /** label value for metrics, e.g. validate-optimizer */
  readonly name: string;
  readonly handler: AdmissionHandler;
  readonly onError: FailurePolicy;
}

/** Before the cluster view has listed everything once, a decision would be made on an empty cluster. */
export const NotSynced = 'inferno has not yet read the cluster (its cluster view has not synced; its log says why)';

export const allow = (warnings: readonly string[] = []): Verdict => ({ type: 'allow', warnings });
export const deny = (code: number, message: string, warnings: readonly string[] = []): Verdict => ({ type: 'deny', code, message, warnings });
export const patch = (ops: readonly JsonPatchOp[], warnings: readonly string[] = []): Verdict =>
  ops.length === 0 ? allow(warnings) : { type: 'patch', ops, warnings };
