// Import directions inferno's code may take, checked by `npm run lint` (dependency-cruiser). Layers, lowest first:
//   domain ← model, engine ← solver ← cluster ← placement ← webhook, extender, scaler, sim, formats, collector
//   ← adapters (kube, prometheus, http, io, metrics, tls, emulator, loadgen, threads) ← cli (the composition root).
// A folder imports its own files and lower layers only; the pure layers (everything below the adapters) do no I/O.
const below = {
  domain: [],
  model: ['domain'],
  engine: ['domain'],
  solver: ['domain', 'model'],
  cluster: ['domain', 'model', 'solver'],
  placement: ['domain', 'model', 'solver', 'cluster'],
};
const pure = ['domain', 'model', 'engine', 'solver', 'cluster', 'placement'];
const consumers = ['webhook', 'extender', 'scaler', 'sim', 'formats', 'collector'];
const adapters = ['kube', 'prometheus', 'http', 'io', 'metrics', 'tls', 'emulator', 'loadgen', 'threads'];
// The simulator drives the scaler's own decisions and the emulator's batching engine, not copies of them.
const consumerExtras = { sim: ['scaler', 'engine', 'collector'], scaler: ['collector'] };
const alt = (names) => `(${names.join('|')})`;

const layerRules = Object.entries(below).map(([folder, allowed]) => ({
  name: `${folder}-imports-only-lower-layers`,
  comment: `src/${folder} may import ${allowed.length > 0 ? allowed.join(', ') : 'nothing else of ours'}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: `^src/${alt([folder, ...allowed])}/` },
}));

const consumerRules = consumers.map((folder) => ({
  name: `${folder}-imports-only-the-core`,
  comment: `src/${folder} builds on the pure core, not on adapters, the CLI or its peers`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: `^src/${alt([folder, ...pure, ...(consumerExtras[folder] ?? [])])}/` },
}));

// Node's I/O modules and the frameworks stay out of everything below the adapters.
const ioModules = ['fs', 'fs/promises', 'http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'child_process', 'worker_threads', 'cluster', 'os', 'readline', 'process', 'perf_hooks'];
const frameworks = ['express', '@kubernetes/client-node', 'prom-client', 'highs', 'node-forge'];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'modules form no cycles', from: {}, to: { circular: true } },
    ...layerRules,
    ...consumerRules,
    {
      name: 'adapters-do-not-import-the-cli',
      severity: 'error',
      from: { path: `^src/${alt(adapters)}/` },
      to: { path: '^src/cli/' },
    },
    {
      name: 'pure-layers-do-no-io',
      comment: 'the core and the decision layers take data and return data: no I/O modules, no frameworks',
      severity: 'error',
      from: { path: `^src/${alt([...pure, ...consumers])}/` },
      to: { path: `^(node:)?${alt(ioModules)}$|(^|/)node_modules/${alt(frameworks)}/` },
    },
    {
      name: 'the-math-has-no-parsers',
      comment: 'zod and yaml parse input at the edges; domain, model, engine and solver see plain data',
      severity: 'error',
      from: { path: '^src/(domain|model|engine|solver)/' },
      to: { path: '(^|/)node_modules/(zod|yaml)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'only-src-is-shipped',
      comment: 'the sources never import tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
