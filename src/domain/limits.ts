// Upper bounds of every number in inferno's input that drives work (batch sizes, replicas, token counts, list
// lengths, sizes of embedded documents), defined once: the zod schemas, the CRD's OpenAPI schema, the model's
// state cap and the HTTP body limits use these, and messages state them. Each is what a real vLLM deployment can
// have, with room to spare; beyond it the input is a mistake or an attack, not a workload.

export const Limits = {
  /** vLLM's --max-num-seqs in practice: the scheduler's per-step bookkeeping makes larger batches pointless */
  maxBatchSize: 4096,
  /** replicas of one model server (int32 in the API, but thousands of GPUs per model is already beyond real) */
  maxReplicas: 1024,
  /** GPUs per replica (tensor × pipeline parallel): 8 per node, 8 nodes */
  maxAccCount: 64,
  /** GPU units a catalog entry stands for (2xA100 = 2) */
  maxMultiplicity: 64,
  /** tokens of a prompt or a reply: the longest context windows (1 Mi tokens) */
  maxTokens: 1_048_576,
  /** requests per minute to one model server (≈ 170k per second) */
  maxArrivalRate: 10_000_000,
  /** accelerator profiles in one Optimizer */
  maxProfiles: 64,
  /** model targets in one service class */
  maxClassTargets: 256,
  /** entries (keys) of one inferno ConfigMap: accelerators, service classes */
  maxConfigEntries: 256,
  /** one embedded YAML document (a ConfigMap value): a catalog entry is ~80 bytes, a class ~100 per model */
  maxYamlBytes: 64 * 1024,
  /** all embedded YAML of one ConfigMap (YAML parsing costs ~2 ms per KiB of dense flow collections) */
  maxYamlBytesPerMap: 256 * 1024,
  /** YAML aliases per document (the yaml library's default; a billion-laughs bomb needs far more) */
  maxYamlAliases: 100,
} as const;

/** The request body: the API server sends at most two objects (object, oldObject) of ≤ 3 MB plus the envelope. */
export const BodyLimits = {
  maxBytes: 7 * 1024 * 1024,
  /** nesting of objects and arrays; a Deployment with managedFields is ~15 deep */
  maxDepth: 64,
  /**
   * JSON values (object members and array elements): a large Deployment with its oldObject has a few thousand.
   * JSON.parse of 50,000 distinct keys takes ~30 ms, so no body can hold the event loop much longer.
   */
  maxValues: 50_000,
} as const;

/** Denials and warnings list the first few problems, then "and N more". */
export const ReportLimits = {
  maxIssues: 20,
  maxWarnings: 10,
  /** the API server's advice for a warning */
  maxWarningLength: 120,
  maxMessageLength: 4096,
} as const;
