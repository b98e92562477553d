// The self-contained HTML report: what was simulated, the comparison tables and the charts (inline SVG). No
// scripts, no external styles or fonts: it opens from a file without a network.
import type { Chart } from './charts.js';
import { escapeXml } from './charts.js';
import type { PolicySummary } from './report.js';
import type { SimSetup } from './setup.js';

export interface ReportMeta {
  readonly files: readonly string[];
  readonly policies: readonly string[];
  readonly seed: number;
  /** requests in the trace */
  readonly requests: number;
}

const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)} %`);
const ms = (x: number): string => (Number.isNaN(x) ? '-' : x >= 10_000 ? `${(x / 1000).toFixed(0)} s` : String(Math.round(x)));

function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly boolean[]): string {
  const th = head.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] === true ? ' class="n"' : ''}>${escapeXml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function reportHtml(setup: SimSetup, summaries: readonly PolicySummary[], charts: readonly Chart[], meta: ReportMeta): string {
  const s = setup.settings;
  const slo = table(
    ['policy', 'class (SLO TTFT / ITL ms)', 'requests', 'SLO met', 'refused', 'unfinished', 'TTFT p50', 'p95', 'p99', 'ITL p50', 'p95', 'p99'],
    summaries.flatMap((p) => p.classes.map((c) => [
      p.policy, `${c.cls} (${ms(c.ttftTarget)} / ${ms(c.itlTarget)})`, String(c.requests), pct(c.attainment), String(c.refused), String(c.unfinished),
      ms(c.ttft.p50), ms(c.ttft.p95), ms(c.ttft.p99), ms(c.itl.p50), ms(c.itl.p95), ms(c.itl.p99),
    ])),
    [false, false, true, true, true, true, true, true, true, true, true, true],
  );
  const cost = table(
    ['policy', 'SLO met', 'GPU cost $', 'GPU-hours by type', 'scale events', 'GPU changes'],
    summaries.map((p) => [
      p.policy, pct(p.attainment), p.cost.toFixed(2), Object.entries(p.gpuHoursByType).map(([t, h]) => `${t} ${h.toFixed(1)}`).join(', ') || '-',
      String(p.scaleEvents), String(p.templateChanges),
    ]),
    [false, true, true, false, true, true],
  );
  const deployments = table(
    ['Deployment', 'model', 'class', 'starts on', 'replicas', 'min–max'],
    setup.deployments.map((d) => [`${d.namespace}/${d.name}`, d.model, d.cls.name, `${d.template.accelerator} (batch ${d.template.maxBatch})`, String(d.replicas), `${d.minReplicas}–${d.maxReplicas}`]),
    [false, false, false, false, true, false],
  );
  const figures = charts.map((c) => `<figure><figcaption>${escapeXml(c.title)}</figcaption>\n${c.svg}</figure>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>inferno simulate: ${escapeXml(meta.policies.join(', '))}</title>
<style>
body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 20px 0; }
figcaption { font-weight: bold; margin-bottom: 6px; }
p.note { color: #555; font-size: 13px; }
</style>
</head>
<body>
<h1>inferno simulate</h1>
<p>Scenario ${escapeXml(meta.files.join(' + '))}; ${(s.durationS / 3600).toFixed(2)} h of traffic (${meta.requests} requests), seed ${meta.seed},
router ${escapeXml(s.router)}, pod start-up ${Math.round(s.startupMs.default / 1000)} s, iteration noise σ ${s.noiseSigma}.
Every policy ran on the same requests.</p>
<h2>SLO attainment and latency by service class</h2>
<p class="note">A request meets its SLO when it finished with TTFT and mean ITL within its class's targets for its model
(the strictest target of the class is shown). Percentiles are over requests that got a first token (TTFT) or finished
with two or more tokens (ITL), in ms.</p>
${slo}
<h2>GPU cost</h2>
<p class="note">Cost counts every pod from the moment it is bound to a node (start-up and draining included) until it is
gone, over the traffic's duration, at the catalog's cents per GPU-hour.</p>
${cost}
<h2>Model servers</h2>
${deployments}
<h2>Charts</h2>
${figures}
</body>
</html>
`;
}
