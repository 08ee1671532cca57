// bench/results/latest.svg: one bar per case and mode, showing how many times better node-wsk
// is than the built-in (throughput ratio, or the inverse for memory), against 1x and the target.
import type { Row } from './run';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(rows: Row[], meta: { date: string; quick: boolean; node: string }): string {
  const rowH = 26;
  const left = 330;
  const width = 900;
  const plotW = width - left - 90;
  const top = 70;
  const height = top + rows.length * rowH + 50;
  const advantage = (r: Row) => (r.ratio === null ? null : r.higherIsBetter ? r.ratio : 1 / r.ratio);
  const goal = (r: Row) => (r.target === undefined ? null : r.higherIsBetter ? r.target : 1 / r.target);
  const maxX = Math.max(3, ...rows.map((r) => advantage(r) ?? 0), ...rows.map((r) => goal(r) ?? 0)) * 1.05;
  const x = (v: number) => left + (Math.min(v, maxX) / maxX) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="16" y="26" font-size="17" font-weight="bold">node-wsk vs Node built-ins: times better (median)</text>`);
  out.push(`<text x="16" y="46" fill="#555">${esc(`${meta.date.slice(0, 19)}Z, Node ${meta.node}${meta.quick ? ', quick run' : ''}. Bar = node-wsk/built-in (memory: built-in/node-wsk); green = meets the target (or 1x where none). | = target.`)}</text>`);
  for (let t = 0; t <= maxX; t += maxX > 6 ? 2 : 0.5) {
    out.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 40}" stroke="${t === 1 ? '#333' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    out.push(`<text x="${x(t)}" y="${height - 24}" text-anchor="middle" fill="#555">${t}x</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const a = advantage(r);
    const g = goal(r);
    const label = `${r.id} [${r.mode === 'one' ? '1 process' : '2 processes'}]`;
    out.push(`<text x="${left - 10}" y="${y + 15}" text-anchor="end">${esc(label)}</text>`);
    if (a === null) {
      out.push(`<text x="${left + 4}" y="${y + 15}" fill="#b00">${esc(r.error ?? 'no result')}</text>`);
      return;
    }
    const ok = g !== null && r.targetApplies ? a >= g : a >= 1;
    out.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(a) - left)}" height="${rowH - 8}" fill="${ok ? '#3a8d4f' : '#c0504d'}"/>`);
    out.push(`<text x="${x(a) + 6}" y="${y + 15}">${a.toFixed(2)}x</text>`);
    if (g !== null && r.targetApplies) {
      out.push(`<line x1="${x(g)}" y1="${y}" x2="${x(g)}" y2="${y + rowH - 2}" stroke="#000" stroke-width="2"/>`);
    }
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
