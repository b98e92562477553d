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
  /** set by the user: the Deployment keeps its own --max-num-seqs (this value); inferno sizes replicas for it */
  maxBatchSize: `${prefix}/max-batch-size`,
} as const;

/** Where inferno runs and reads its ConfigMaps from when not told otherwise (--namespace, $POD_NAMESPACE). */
export const DefaultNamespace = 'inferno-system';
/** Set from the downward API (metadata.namespace) in deploy/base/deployment.yaml. */
export const NamespaceEnv = 'POD_NAMESPACE';

/**
 * The webhook's certificate: file names in --cert-dir (`inferno certs` writes them) and keys of its Secret
 * (--cert-secret; cert-manager uses the same names). ca.crt may hold several CAs: the one that signs first.
 */
export const CertFile = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

/** The webhook's Service (named in its serving certificate) and its configurations (given the CA bundle). */
export const Webhook = { service: 'inferno-webhook', mutatingConfig: 'inferno-webhook', validatingConfig: 'inferno-webhook' } as const;

/** The label inferno puts on the certificate Secret it creates: only a Secret carrying it is ever rewritten. */
export const CertSecretOwner = { key: 'app.kubernetes.io/managed-by', value: 'inferno' } as const;

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

/** The Lease the scaler's leader election holds (in inferno's own namespace), and the label it carries. */
export const ScalerLease = {
  name: 'inferno-scaler',
  labels: { 'app.kubernetes.io/name': 'inferno', 'app.kubernetes.io/component': 'scaler' },
} as const;

/** Metrics the scaler emits; the first four keep upstream WVA's names and labels so HPA/KEDA recipes work unchanged. */
export const ScalerMetric = {
  desiredReplicas: 'inferno_desired_replicas',
  currentReplicas: 'inferno_current_replicas',
  desiredRatio: 'inferno_desired_ratio',
  replicaScaling: 'inferno_replica_scaling_total',
  predictedItl: 'inferno_predicted_itl_ms',
  predictedTtft: 'inferno_predicted_ttft_ms',
  cost: 'inferno_cost',
  tickDuration: 'inferno_tick_duration_seconds',
} as const;

/** Label names of the scaler metrics (upstream's spelling). */
export const ScalerMetricLabel = {
  variant: 'variant_name',
  namespace: 'namespace',
  accelerator: 'accelerator_type',
  direction: 'direction',
  reason: 'reason',
} as const;

/**
 * vLLM's Prometheus metric names (V1 engine, vllm/v1/metrics/loggers.py) and labels, as exposed (counters with
 * `_total`); the emulator, the collector and the tests all use these. `timePerOutputToken` is deprecated in vLLM
 * 0.11 and removed in 0.13 (same observations as `interTokenLatency`): query either, whichever exists.
 */
export const VllmMetric = {
  running: 'vllm:num_requests_running',
  waiting: 'vllm:num_requests_waiting',
  kvCacheUsage: 'vllm:kv_cache_usage_perc',
  requestSuccess: 'vllm:request_success_total',
  promptTokens: 'vllm:prompt_tokens_total',
  generationTokens: 'vllm:generation_tokens_total',
  timeToFirstToken: 'vllm:time_to_first_token_seconds',
  interTokenLatency: 'vllm:inter_token_latency_seconds',
  timePerOutputToken: 'vllm:time_per_output_token_seconds',
  e2eLatency: 'vllm:e2e_request_latency_seconds',
  queueTime: 'vllm:request_queue_time_seconds',
  requestPromptTokens: 'vllm:request_prompt_tokens',
  requestGenerationTokens: 'vllm:request_generation_tokens',
  /** labels: vLLM's own, then the target labels Kubernetes service discovery adds */
  label: { model: 'model_name', engine: 'engine', finishedReason: 'finished_reason', namespace: 'namespace', pod: 'pod' },
} as const;
