// A simulation scenario's objects → the SimSetup a run starts from, with every cross-reference checked: each
// opted-in Deployment paired with its Optimizer (as the scaler pairs them), its service class and the class's target
// for the model, the accelerator its template runs on (profiled, in the catalog, on some node), and its traffic.
import type { InputIssue, Where } from '../cluster/issues.js';
import { InputError, at } from '../cluster/issues.js';
import type { InfernoConfig } from '../cluster/config-maps.js';
import { configFromMaps } from '../cluster/config-maps.js';
import type { NodeGpus } from '../cluster/inventory.js';
import { nodeGpusOf } from '../cluster/inventory.js';
import { classOf } from '../cluster/optimizer.js';
import type { ConfigMapResource, DeploymentView, NodeResource, OptimizerResource } from '../cluster/resources.js';
import { Label } from '../domain/keys.js';
import type { Accelerator } from '../domain/types.js';
import { defaultScalerSettings } from '../domain/types.js';
import type { ManagedDeployment, Target } from '../scaler/ports.js';
import { pairTargets } from '../scaler/targets.js';
import type { DeploymentSetup, SimSettings, SimSetup, Strategy, TrafficSetup } from './setup.js';
import { DefaultStrategy } from './setup.js';
import type { SimulationSpec } from './spec.js';
import { templateAccelerator, templateBatch } from './template.js';

/** The scenario's objects (formats/scenario.ts's ScenarioObjects fit) and its Simulation document. */
export interface ScenarioInput {
  readonly configMaps: readonly { readonly cm: ConfigMapResource; readonly where: Where }[];
  readonly nodes: readonly NodeResource[];
  readonly optimizers: readonly { readonly o: OptimizerResource; readonly where: Where }[];
  readonly deployments: readonly { readonly d: DeploymentView; readonly where: Where }[];
  readonly simulation: SimulationSpec;
  /** where the Simulation document came from, for messages */
  readonly simulationWhere: Where;
  /** a trace replaces the traffic section: Deployments need no traffic entry */
  readonly trace: boolean;
}

export const DefaultStartupS = 90;

/** The Deployment's update strategy (Kubernetes' defaults where unset); a problem message when it cannot be read. */
export function strategyOf(view: DeploymentView): Strategy | string {
  const s = (view.spec as { strategy?: { type?: unknown; rollingUpdate?: { maxSurge?: unknown; maxUnavailable?: unknown } } }).strategy;
  if (s === undefined) return DefaultStrategy;
  if (s.type === 'Recreate') return { kind: 'Recreate' };
  if (s.type !== undefined && s.type !== 'RollingUpdate') return `spec.strategy.type must be RollingUpdate or Recreate; got ${JSON.stringify(s.type)}`;
  const amount = (v: unknown, fallback: number | { percent: number }): number | { percent: number } | undefined => {
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    const m = typeof v === 'string' ? /^(\d{1,3})%$/.exec(v.trim()) : null;
    return m !== null && Number(m[1]) <= 100 ? { percent: Number(m[1]) } : undefined;
  };
  const maxSurge = amount(s.rollingUpdate?.maxSurge, { percent: 25 });
  const maxUnavailable = amount(s.rollingUpdate?.maxUnavailable, { percent: 25 });
  if (maxSurge === undefined || maxUnavailable === undefined) return 'spec.strategy.rollingUpdate: maxSurge and maxUnavailable are whole numbers or percentages such as "25%"';
  if (maxSurge === 0 && maxUnavailable === 0) return 'spec.strategy.rollingUpdate: maxSurge and maxUnavailable cannot both be 0';
  return { kind: 'RollingUpdate', maxSurge, maxUnavailable };
}

const acceleratorPath = `spec.template.metadata.labels["${Label.accelerator}"]`;

/** Why the template's accelerator cannot be simulated, or undefined when it can. */
function acceleratorProblem(accelerator: string | undefined, o: OptimizerResource, catalog: ReadonlyMap<string, Accelerator>, nodes: readonly NodeGpus[]): string | undefined {
  if (accelerator === undefined) return 'the simulator needs the accelerator the pods run on (as inferno\'s webhook labels it)';
  if (!o.spec.modelProfile.accelerators.some((p) => p.acc === accelerator)) return `Optimizer ${o.metadata.name} has no profile for accelerator "${accelerator}"`;
  const acc = catalog.get(accelerator);
  if (acc === undefined) return `accelerator "${accelerator}" is not in the accelerator catalog`;
  const offered = nodes.some((n) => acc.labelKey !== undefined && n.labels[acc.labelKey] === acc.device && acc.resource !== undefined && (n.allocatable[acc.resource] ?? 0) > 0);
  return offered ? undefined : `no Node of the scenario offers accelerator "${accelerator}" (${acc.device ?? 'no device in the catalog'})`;
}

/** One paired Deployment as the simulator runs it, or undefined after adding its problems to `issues`. */
function deploymentSetup(t: Target, where: Where, config: InfernoConfig, nodes: readonly NodeGpus[], issues: InputIssue[]): DeploymentSetup | undefined {
  const { deployment: m, optimizer } = t;
  const before = issues.length;
  const { cls, problem } = classOf(optimizer, config.classes);
  if (problem !== undefined) issues.push(at(where, `Optimizer ${optimizer.metadata.name}: ${problem.path}`, problem.message));
  const target = cls?.targets.find((x) => x.model === optimizer.spec.modelID);
  if (cls !== undefined && target === undefined) issues.push(at(where, `Optimizer ${optimizer.metadata.name}: spec.modelID`, `service class "${cls.name}" has no target for model "${optimizer.spec.modelID}"`));
  const accelerator = templateAccelerator(m.view);
  const accProblem = acceleratorProblem(accelerator, optimizer, new Map(config.accelerators.map((a) => [a.name, a])), nodes);
  if (accProblem !== undefined) issues.push(at(where, acceleratorPath, accProblem));
  const strategy = strategyOf(m.view);
  if (typeof strategy === 'string') issues.push(at(where, 'spec.strategy', strategy));
  const profile = optimizer.spec.modelProfile.accelerators.find((p) => p.acc === accelerator);
  if (issues.length > before || typeof strategy === 'string' || cls === undefined || target === undefined || accelerator === undefined || profile === undefined) return undefined;
  const minReplicas = optimizer.spec.minReplicas ?? 1;
  return {
    namespace: m.namespace, name: m.name, model: optimizer.spec.modelID, optimizer, cls, target, raw: m.view,
    template: { accelerator, maxBatch: templateBatch(m.view) ?? profile.maxBatchSize }, strategy,
    replicas: m.view.spec.replicas ?? 1, minReplicas,
    maxReplicas: Math.max(minReplicas, optimizer.spec.maxReplicas ?? defaultScalerSettings(config.controller.scaler).defaultMaxReplicas),
  };
}

/** The opted-in Deployments paired with their Optimizers (as the scaler pairs them). */
function pairedTargets(input: ScenarioInput, issues: InputIssue[]): { targets: Target[]; whereOf: Map<unknown, Where> } {
  const whereOf = new Map<unknown, Where>(input.deployments.map(({ d, where }) => [d, where]));
  const managed: ManagedDeployment[] = [];
  for (const { d, where } of input.deployments) {
    if (d.metadata.labels?.[Label.managed] !== 'true') {
      issues.push(at(where, `metadata.labels["${Label.managed}"]`, 'the simulator runs opted-in Deployments only: set this label to "true"'));
      continue;
    }
    managed.push({ namespace: d.metadata.namespace ?? 'default', name: d.metadata.name ?? '', view: d, statusReplicas: d.spec.replicas ?? 1, readyReplicas: d.spec.replicas ?? 1 });
  }
  // Optimizers without a namespace live in the namespace of the Deployments (a file applied with kubectl -n).
  const namespace = managed[0]?.namespace ?? 'default';
  const optimizers = input.optimizers.map(({ o }) => (o.metadata.namespace !== undefined ? o : { ...o, metadata: { ...o.metadata, namespace } }));
  const pairing = pairTargets(managed, optimizers);
  for (const s of pairing.skipped) {
    const d = managed.find((m) => m.namespace === s.namespace && m.name === s.name);
    issues.push(at(whereOf.get(d?.view) ?? {}, 'metadata.name', s.reason));
  }
  return { targets: pairing.targets, whereOf };
}

function trafficSetups(input: ScenarioInput, deployments: readonly DeploymentSetup[], issues: InputIssue[]): TrafficSetup[] {
  const where = input.simulationWhere;
  const traffic: TrafficSetup[] = [];
  input.simulation.traffic.forEach((t, i) => {
    const matches = deployments.flatMap((d, index) => (d.model === t.model ? [index] : []));
    const deployment = matches[0];
    if (matches.length !== 1 || deployment === undefined) {
      issues.push(at(where, `spec.traffic[${i}].model`, matches.length === 0 ? `no simulated Deployment serves model "${t.model}"` : `${matches.length} Deployments serve model "${t.model}"; the simulator needs one`));
      return;
    }
    if (traffic.some((x) => x.deployment === deployment)) issues.push(at(where, `spec.traffic[${i}].model`, `model "${t.model}" has traffic twice`));
    traffic.push({ deployment, arrivals: t.arrivals, inputTokens: t.inputTokens, outputTokens: t.outputTokens });
  });
  if (!input.trace) {
    deployments.forEach((d, index) => {
      if (!traffic.some((t) => t.deployment === index)) issues.push(at(where, 'spec.traffic', `no traffic for model "${d.model}" (Deployment ${d.namespace}/${d.name}); add an entry or replay a --trace`));
    });
  }
  return traffic;
}

function settingsOf(sim: SimulationSpec): SimSettings {
  const startupMs: Record<string, number> & { default: number } = { default: (sim.startupS['default'] ?? DefaultStartupS) * 1000 };
  for (const [k, v] of Object.entries(sim.startupS)) startupMs[k] = v * 1000;
  const b = sim.baselines;
  return {
    durationS: sim.durationS, drainS: sim.drainS, seed: sim.seed, router: sim.router, startupMs, noiseSigma: sim.noiseSigma,
    maxModelLen: sim.maxModelLen, maxWaiting: sim.maxWaiting, sampleS: sim.sampleS, sloMargin: sim.sloMargin,
    baselines: {
      ...(b.hpaRunningTarget !== undefined ? { hpaRunningTarget: b.hpaRunningTarget } : {}),
      ...(b.hpaKvTarget !== undefined ? { hpaKvTarget: b.hpaKvTarget } : {}),
      kedaWaitingTarget: b.kedaWaitingTarget, kedaPollingMs: b.kedaPollingS * 1000, kedaCooldownMs: b.kedaCooldownS * 1000,
    },
  };
}

/** The SimSetup of a scenario; throws InputError listing every problem found. */
export function buildSetup(input: ScenarioInput): SimSetup {
  const issues: InputIssue[] = [];
  const config = configFromMaps(input.configMaps, issues, (where) => {
    issues.push(at(where, `metadata.labels["${Label.config}"]`, 'a ConfigMap in a scenario needs the inferno.llmd.ai/config label'));
  });
  if (config.accelerators.length === 0) issues.push({ path: '', message: 'no accelerator catalog: add the ConfigMap labelled inferno.llmd.ai/config: accelerators' });
  const nodes = input.nodes.map(nodeGpusOf);
  const { targets, whereOf } = pairedTargets(input, issues);
  const deployments = targets.flatMap((t) => deploymentSetup(t, whereOf.get(t.deployment.view) ?? {}, config, nodes, issues) ?? []);
  if (deployments.length === 0 && issues.length === 0) issues.push({ path: '', message: 'no Deployments to simulate: add opted-in Deployments and their Optimizers' });
  const traffic = trafficSetups(input, deployments, issues);
  if (issues.length > 0) throw new InputError(issues);
  return { config, nodes, deployments, traffic, settings: settingsOf(input.simulation) };
}
