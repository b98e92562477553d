// Starts the e2e control plane and keeps it running until this process ends (Ctrl-C, SIGTERM, or
// even SIGKILL: the supervisors then clean up). Prints one JSON line on stdout once the cluster is up:
// { kubeconfig, server, workdir, ports, pids }. Used by teardown.test.ts, and handy by hand:
//   node --import tsx test/e2e/support/hold-cluster.ts
import { startCluster } from '../cluster.js';

const cluster = await startCluster();
process.stdout.write(
  `${JSON.stringify({
    kubeconfig: cluster.kubeconfig,
    server: cluster.server,
    workdir: cluster.workdir,
    ports: cluster.ports,
    pids: cluster.pids(),
  })}\n`,
);
setInterval(() => undefined, 60_000);
