// Every label, annotation, API group and ConfigMap role inferno reads or writes, defined once.

export const OptimizerApi = { group: 'llmd.ai', version: 'v1alpha1', apiVersion: 'llmd.ai/v1alpha1', kind: 'Optimizer', plural: 'optimizers' } as const;

const prefix = 'inferno.llmd.ai';

export const Label = {
  /** opt-in label on model-server Deployments: "true" */
  managed: `${prefix}/managed`,
  /** on the pod template: the accelerator the solver chose */
  accelerator: `${prefix}/accelerator`,
  /** on inferno's ConfigMaps: which configuration the map holds (see ConfigRole) */
  config: `${prefix}/config`,
} as const;

export const ConfigRole = {
  accelerators: 'accelerators',
  serviceClasses: 'service-classes',
  controller: 'controller',
} as const;

export const Annotation = {
  optimizer: `${prefix}/optimizer`,
  expectedRpm: `${prefix}/expected-rpm`,
  avgInputTokens: `${prefix}/avg-input-tokens`,
  avgOutputTokens: `${prefix}/avg-output-tokens`,
  container: `${prefix}/container`,
  decision: `${prefix}/decision`,
} as const;

/** Node labels and extended resources of the GPU device plugins / feature discovery, by product-name prefix. */
export const GpuVendors = [
  { prefix: 'NVIDIA-', labelKey: 'nvidia.com/gpu.product', resource: 'nvidia.com/gpu' },
  { prefix: 'AMD-', labelKey: 'amd.com/gpu.product-name', resource: 'amd.com/gpu' },
  { prefix: 'Intel-Gaudi', labelKey: 'habana.ai/gaudi.product', resource: 'habana.ai/gaudi' },
] as const;

/** The scheduler extender: the second scheduler's name and the verbs (paths) inferno serves. */
export const Extender = {
  /** spec.schedulerName of the second scheduler whose KubeSchedulerConfiguration calls inferno (deploy/scheduler/) */
  schedulerName: 'inferno-scheduler',
  filterVerb: 'filter',
  prioritizeVerb: 'prioritize',
} as const;

export const ExtenderPath = { filter: `/${Extender.filterVerb}`, prioritize: `/${Extender.prioritizeVerb}` } as const;
