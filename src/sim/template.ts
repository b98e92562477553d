// What a Deployment's pod template runs, read the way the scaler reads it: the accelerator from inferno's label, the
// batch size from inferno's env var (else vLLM's --max-num-seqs argument).
import type { DeploymentView } from '../cluster/resources.js';
import { Label } from '../domain/keys.js';
import { BatchSizeEnv, MaxNumSeqsFlag } from '../placement/pod-template.js';
import { containerIndex } from '../placement/target.js';

/** The batch size of the template's vLLM container; undefined when neither the env var nor the flag sets it. */
export function templateBatch(view: DeploymentView): number | undefined {
  const c = view.spec.template.spec.containers[containerIndex(view, [])];
  const env = c?.env?.find((e) => e.name === BatchSizeEnv) as { value?: unknown } | undefined;
  const whole = (v: unknown): number | undefined => {
    const n = Number(v);
    return typeof v === 'string' && /^\d+$/.test(v.trim()) && n > 0 ? n : undefined;
  };
  const fromEnv = whole(env?.value);
  if (fromEnv !== undefined) return fromEnv;
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] ?? '';
    if (a.startsWith(`${MaxNumSeqsFlag}=`)) return whole(a.slice(MaxNumSeqsFlag.length + 1));
    if (a === MaxNumSeqsFlag) return whole(argv[i + 1]);
  }
  return undefined;
}

export const templateAccelerator = (view: DeploymentView): string | undefined => view.spec.template.metadata?.labels?.[Label.accelerator];
