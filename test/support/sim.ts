// Small simulation scenarios for tests: one or two model servers on a few GPU nodes, with the Simulation spec given
// in YAML as a user writes it, parsed by the same code as `inferno simulate`.
import { parseYamlDocuments, scenarioObjects } from '../../src/formats/scenario.js';
import { buildSetup } from '../../src/sim/scenario.js';
import type { SimSetup } from '../../src/sim/setup.js';
import type { SimulationSpec } from '../../src/sim/spec.js';
import { SimulationKind, simulationSpecOf } from '../../src/sim/spec.js';

export const catalog = `apiVersion: v1
kind: ConfigMap
metadata: {name: inferno-accelerators, labels: {inferno.llmd.ai/config: accelerators}}
data:
  A100: '{device: NVIDIA-A100-SXM4-80GB, cost: 180}'
  L4: '{device: NVIDIA-L4, cost: 70}'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: inferno-service-classes, labels: {inferno.llmd.ai/config: service-classes}}
data:
  premium: |
    name: Premium
    priority: 1
    data:
      - {model: m1, slo-itl: 40, slo-ttft: 1000}
      - {model: m2, slo-itl: 40, slo-ttft: 1000}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: inferno-controller, labels: {inferno.llmd.ai/config: controller}}
data: {mode: limited}
`;

export const nodes = (a100: number, l4 = 0): string => [
  ...Array.from({ length: a100 }, (_, i) => `{apiVersion: v1, kind: Node, metadata: {name: a100-${i}, labels: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}}, status: {allocatable: {nvidia.com/gpu: "8"}}}`),
  ...Array.from({ length: l4 }, (_, i) => `{apiVersion: v1, kind: Node, metadata: {name: l4-${i}, labels: {nvidia.com/gpu.product: NVIDIA-L4}}, status: {allocatable: {nvidia.com/gpu: "8"}}}`),
].map((n) => `---\n${n}\n`).join('');

/** A model server: its Optimizer (A100 and a cheaper, slower L4 profile) and its Deployment on `accelerator`. */
export const server = (model: string, o: { replicas?: number; accelerator?: string; batch?: number; min?: number; max?: number } = {}): string => `---
apiVersion: llmd.ai/v1alpha1
kind: Optimizer
metadata: {name: ${model}, namespace: models}
spec:
  modelID: ${model}
  serviceClass: Premium
  minReplicas: ${o.min ?? 1}
  maxReplicas: ${o.max ?? 8}
  modelProfile:
    accelerators:
      - {acc: A100, accCount: 1, maxBatchSize: 32, atTokens: 512, alpha: 20.58, beta: 0.41, gamma: 164.64, delta: 0.0128125}
      - {acc: L4, accCount: 1, maxBatchSize: 16, atTokens: 512, alpha: 24, beta: 0.5, gamma: 200, delta: 0.015}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${model}, namespace: models, labels: {inferno.llmd.ai/managed: "true"}}
spec:
  replicas: ${o.replicas ?? 1}
  template:
    metadata: {labels: {inferno.llmd.ai/accelerator: ${o.accelerator ?? 'A100'}}}
    spec:
      containers:
        - name: vllm
          env: [{name: INFERNO_MAX_BATCH_SIZE, value: "${o.batch ?? 32}"}]
`;

export function setupOf(text: string, over: Partial<SimulationSpec> = {}, trace = false): SimSetup {
  const objs = scenarioObjects(text, 'test.yaml');
  const doc = parseYamlDocuments(text, 'test.yaml').find((d) => (d.value as { kind?: unknown }).kind === SimulationKind);
  const spec = simulationSpecOf(doc?.value ?? { kind: SimulationKind, spec: {} }, doc?.where ?? {});
  if (Array.isArray(spec)) throw new Error(JSON.stringify(spec));
  return buildSetup({ ...objs, simulation: { ...spec, ...over }, simulationWhere: doc?.where ?? {}, trace });
}
