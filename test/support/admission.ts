// The one loader of AdmissionReview fixtures (samples/admission/*.json, real v1 captures): every call returns a
// fresh deep copy, so a test's edits never reach another test.
import { readFileSync } from 'node:fs';
import type { AdmissionRequest } from '../../src/webhook/types.js';

export interface RawReview {
  readonly apiVersion: string;
  readonly kind: string;
  readonly request: Record<string, unknown>;
}

const texts = new Map<string, string>();

export function sampleReview(file = 'deployment-create.json'): RawReview {
  let text = texts.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(`../../samples/admission/${file}`, import.meta.url), 'utf8');
    texts.set(file, text);
  }
  return JSON.parse(text) as RawReview;
}

export function review(request: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/** The sample Deployment CREATE request with another uid (and any fields replaced), for transport tests. */
export function deploymentRequest(uid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...sampleReview().request, uid, ...extra };
}

/** A sample's request as the transport hands it to the decisions; `edit` may change the object first. */
export function sampleRequest(file: string, edit: (object: Record<string, unknown>, req: Record<string, unknown>) => void = () => undefined): AdmissionRequest {
  const r = sampleReview(file).request;
  const object = r['object'] as Record<string, unknown>;
  edit(object, r);
  return {
    uid: String(r['uid']),
    kind: r['kind'] as AdmissionRequest['kind'],
    operation: r['operation'] as AdmissionRequest['operation'],
    namespace: r['namespace'] as string | undefined,
    name: r['name'] as string | undefined,
    dryRun: r['dryRun'] === true,
    object,
    oldObject: r['oldObject'] ?? undefined,
  };
}
