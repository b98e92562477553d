// The report's charts as self-contained SVG (no scripts, no fonts or styles from the network): the load per model,
// replicas by GPU type per policy, p95 TTFT and ITL against the SLO per service class and policy, and cumulative
// GPU cost per policy. Pure string building from the runs' samples and request outcomes.
import type { RequestOutcomes } from './report.js';
import { outcomes } from './report.js';
import type { RunResult } from './run.js';
import type { SimSetup } from './setup.js';
import type { Arrivals } from './traffic.js';

export interface Chart {
  /** file name without .svg */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const colorOf = (i: number): string => palette[i % palette.length] ?? '#333';

export const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (a >= 10) return String(Math.round(v));
  if (a >= 1) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
};

/** 0 and about five round steps up to at least `max`. */
function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  if ((out.at(-1) ?? 0) < max) out.push((out.at(-1) ?? 0) + step);
  return out;
}

export interface Series {
  readonly label: string;
  readonly color: string;
  /** [x, y]; NaN y breaks the line */
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

interface PanelSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly xMax: number;
  /** default: the data's maximum */
  readonly yMax?: number;
  readonly series: readonly Series[];
  /** stacked areas instead of lines */
  readonly stacked?: boolean;
  /** y values above this are drawn at it (and the panel says so) */
  readonly clip?: number;
}

const W = 420;
const WIDE = 840;
const H = 210;
const M = { left: 46, right: 10, top: 24, bottom: 30 };

/** One panel at (ox, oy), `width` wide: axes, grid, series (the first drawn on top), title; x is minutes. */
function panel(p: PanelSpec, ox: number, oy: number, width: number): string {
  const iw = width - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const dataMax = Math.max(0, ...p.series.flatMap((s) => s.points.map(([, y]) => (Number.isFinite(y) ? y : 0))));
  const yTicks = ticks(Math.min(p.yMax ?? dataMax, p.clip ?? Infinity) || 1);
  const yTop = yTicks.at(-1) ?? 1;
  const xTicks = ticks(p.xMax).filter((t) => t <= p.xMax * 1.001);
  const x = (v: number): number => ox + M.left + (iw * v) / (p.xMax || 1);
  const y = (v: number): number => oy + M.top + ih - (ih * Math.min(v, yTop)) / yTop;
  const out: string[] = [];
  out.push(`<text x="${ox + M.left}" y="${oy + 15}" font-size="12" font-weight="bold">${escapeXml(p.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${x(0)}" x2="${x(p.xMax)}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${ox + M.left - 4}" y="${(y(t) + 3).toFixed(1)}" font-size="9" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${x(t).toFixed(1)}" y="${oy + H - M.bottom + 12}" font-size="9" text-anchor="middle">${fmt(t)}</text>`);
  out.push(`<text x="${ox + M.left + iw / 2}" y="${oy + H - 4}" font-size="9" text-anchor="middle">minutes</text>`);
  out.push(`<text x="${ox + 10}" y="${oy + M.top + ih / 2}" font-size="9" text-anchor="middle" transform="rotate(-90 ${ox + 10} ${oy + M.top + ih / 2})">${escapeXml(p.yLabel)}</text>`);
  out.push(`<rect x="${x(0)}" y="${oy + M.top}" width="${iw}" height="${ih}" fill="none" stroke="#999"/>`);
  if (p.stacked === true) {
    // Stacked areas: each series on top of the ones before it, at the same x positions.
    const xs = p.series[0]?.points.map(([px]) => px) ?? [];
    let base = xs.map(() => 0);
    for (const s of p.series) {
      const top = xs.map((_, i) => (base[i] ?? 0) + (s.points[i]?.[1] ?? 0));
      const upper = xs.map((px, i) => `${x(px).toFixed(1)},${y(top[i] ?? 0).toFixed(1)}`);
      const lower = xs.map((px, i) => `${x(px).toFixed(1)},${y(base[i] ?? 0).toFixed(1)}`).reverse();
      out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.75" stroke="none"/>`);
      base = top;
    }
  } else {
    for (const s of [...p.series].reverse()) {
      let path = '';
      let pen = false;
      for (const [px, py] of s.points) {
        if (!Number.isFinite(py)) { pen = false; continue; }
        path += `${pen ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`;
        pen = true;
      }
      if (path !== '') out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="1.4"${s.dashed === true ? ' stroke-dasharray="5,3"' : ''}/>`);
    }
  }
  if (p.clip !== undefined && dataMax > yTop) out.push(`<text x="${x(p.xMax) - 2}" y="${oy + M.top + 10}" font-size="8" text-anchor="end" fill="#666">values above ${fmt(yTop)} drawn at the top</text>`);
  return out.join('');
}

function legend(items: readonly { label: string; color: string; dashed?: boolean }[], ox: number, oy: number, width: number): { svg: string; height: number } {
  const out: string[] = [];
  let cx = ox;
  let cy = oy;
  for (const it of items) {
    const w = 26 + it.label.length * 6.2;
    if (cx + w > ox + width) { cx = ox; cy += 16; }
    out.push(`<line x1="${cx}" x2="${cx + 18}" y1="${cy}" y2="${cy}" stroke="${it.color}" stroke-width="3"${it.dashed === true ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${cx + 22}" y="${cy + 4}" font-size="10">${escapeXml(it.label)}</text>`);
    cx += w;
  }
  return { svg: out.join(''), height: cy - oy + 16 };
}

/** Panels in a grid of two columns with a shared legend above them. */
function figure(title: string, panels: readonly PanelSpec[], items: readonly { label: string; color: string; dashed?: boolean }[]): string {
  const cols = Math.min(2, panels.length);
  const pw = cols === 1 ? WIDE : W;
  const width = cols * pw + 10;
  const lg = legend(items, 12, 40, width - 24);
  const top = 40 + lg.height;
  const rows = Math.ceil(panels.length / cols);
  const height = top + rows * H + 6;
  const body = panels.map((p, i) => panel(p, (i % cols) * pw, top + Math.floor(i / cols) * H, pw)).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`
    + `<rect width="100%" height="100%" fill="#fff"/><text x="12" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>${lg.svg}${body}</svg>\n`;
}

/** Nearest-rank p95 of the finite values; NaN when there are none. */
function p95(values: number[]): number {
  const a = values.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  return a.length === 0 ? Number.NaN : (a[Math.min(a.length - 1, Math.ceil(0.95 * a.length) - 1)] ?? Number.NaN);
}

export function charts(setup: SimSetup, arrivals: Arrivals, runs: readonly RunResult[], given?: readonly RequestOutcomes[]): Chart[] {
  const minutes = setup.settings.durationS / 60;
  const deployments = setup.deployments;
  const policyColor = new Map(runs.map((r, i) => [r.policy, colorOf(i)]));
  const policyItems = runs.map((r) => ({ label: r.policy, color: policyColor.get(r.policy) ?? '#333' }));

  // Load: requests per second per model, per minute.
  const perMinute = deployments.map(() => new Float64Array(Math.ceil(minutes)));
  for (let k = 0; k < arrivals.count; k += 1) {
    const m = Math.floor((arrivals.t[k] ?? 0) / 60_000);
    const row = perMinute[arrivals.deployment[k] ?? 0];
    if (row !== undefined && m < row.length) row[m] = (row[m] ?? 0) + 1;
  }
  const loadSeries: Series[] = deployments.map((d, i) => ({ label: d.model, color: colorOf(i), points: [...(perMinute[i] ?? [])].map((n, m) => [m + 0.5, n / 60] as const) }));
  const load = figure('Load: requests per second by model (per minute)', [{ title: 'arrivals', yLabel: 'req/s', xMax: minutes, series: loadSeries }], loadSeries);

  // Replicas by accelerator, one panel per policy, stacked.
  const accelerators = [...new Set(runs.flatMap((r) => r.samples.flatMap((s) => Object.keys(s.replicas))))].sort();
  const accColor = new Map(accelerators.map((a, i) => [a, colorOf(i + 3)]));
  const peakReplicas = Math.max(1, ...runs.flatMap((r) => r.samples.map((s) => Object.values(s.replicas).reduce((a, b) => a + b, 0))));
  const replicaPanels: PanelSpec[] = runs.map((r) => ({
    title: r.policy, yLabel: 'replicas', xMax: minutes, yMax: peakReplicas, stacked: true,
    series: accelerators.map((a) => ({ label: a, color: accColor.get(a) ?? '#333', points: r.samples.map((s) => [s.t / 60_000, s.replicas[a] ?? 0] as const) })),
  }));
  const replicas = figure('Replicas by GPU type (pods holding GPUs: starting, serving or draining)', replicaPanels, accelerators.map((a) => ({ label: a, color: accColor.get(a) ?? '#333' })));

  // Latency against the SLO: p95 TTFT and ITL of the requests arriving in each 5-minute bin, per class.
  const binMin = 5;
  const bins = Math.ceil(minutes / binMin);
  const classes = [...new Set(deployments.map((d) => d.cls.name))].sort();
  const outs = given ?? runs.map((r) => outcomes(r, arrivals));
  const latencyPanels: PanelSpec[] = [];
  for (const cls of classes) {
    const members = new Set(deployments.flatMap((d, i) => (d.cls.name === cls ? [i] : [])));
    const targets = deployments.filter((d) => d.cls.name === cls).map((d) => d.target);
    for (const metric of ['ttft', 'itl'] as const) {
      const slo = Math.min(...targets.map((t) => (t[metric] > 0 ? t[metric] : Infinity)));
      const series: Series[] = runs.map((r, ri) => {
        const o = outs[ri];
        const perBin: number[][] = Array.from({ length: bins }, () => []);
        if (o !== undefined) {
          for (let k = 0; k < arrivals.count; k += 1) {
            if (!members.has(arrivals.deployment[k] ?? -1)) continue;
            const b = Math.min(bins - 1, Math.floor((arrivals.t[k] ?? 0) / (binMin * 60_000)));
            // A request that never got its first token has no TTFT, but it missed: count it as infinitely late.
            const v = metric === 'ttft' ? (Number.isNaN(o.ttft[k] ?? Number.NaN) ? Infinity : (o.ttft[k] ?? Infinity)) : (o.itl[k] ?? Number.NaN);
            perBin[b]?.push(v);
          }
        }
        return { label: r.policy, color: policyColor.get(r.policy) ?? '#333', points: perBin.map((vs, b) => [(b + 0.5) * binMin, p95(vs.map((v) => (v === Infinity ? Number.MAX_VALUE : v)))] as const) };
      });
      if (Number.isFinite(slo)) series.push({ label: 'SLO', color: '#000', dashed: true, points: [[0, slo], [minutes, slo]] });
      latencyPanels.push({
        title: `${cls}: p95 ${metric.toUpperCase()} (ms), 5-minute bins`, yLabel: 'ms', xMax: minutes, series, ...(Number.isFinite(slo) ? { clip: 3 * slo } : {}),
      });
    }
  }
  const latency = figure('Latency against the SLO (dashed): p95 by arrival time', latencyPanels, [...policyItems, { label: 'SLO', color: '#000', dashed: true }]);

  // Cumulative GPU cost.
  const costSeries: Series[] = runs.map((r) => ({ label: r.policy, color: policyColor.get(r.policy) ?? '#333', points: r.samples.map((s) => [s.t / 60_000, s.costCents / 100] as const) }));
  const cost = figure('Cumulative GPU cost per policy ($)', [{ title: 'cost', yLabel: '$', xMax: minutes, series: costSeries }], policyItems);

  return [
    { name: 'load', title: 'Load', svg: load },
    { name: 'replicas', title: 'Replicas by GPU type', svg: replicas },
    { name: 'latency', title: 'Latency against the SLO', svg: latency },
    { name: 'cost', title: 'Cumulative cost', svg: cost },
  ];
}
