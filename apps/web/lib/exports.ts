// Downloads: the lab's events as JSON (importable) and the topology as SVG or PNG, colours resolved.
// The SVG is a clone of the canvas with the current theme resolved, so files look like the screen.
import { COLOUR_VARS } from '../components/topology/topology-css';
import { api } from './api';

function download(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportLabJson(lab: string) {
  const data = await api.exportLab(lab);
  download(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), `${lab}.json`);
}

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Height added under the topology for the caption and the legend. */
export const FOOTER_H = 64;

/** What an exported picture says about itself: lab, policy, kernel, seq, and when it was taken. */
export interface Caption {
  lab: string;
  policy?: string;
  kernel?: string;
  seq: number;
}

export function captionText(c: Caption, now = new Date()): string {
  const parts = [`lab ${c.lab}`];
  if (c.policy) parts.push(`policy ${c.policy}`);
  if (c.kernel) parts.push(`kernel ${c.kernel}`);
  parts.push(`seq ${c.seq}`, `exported ${now.toISOString().slice(0, 19).replace('T', ' ')} UTC`);
  return parts.join(' · ');
}

/** The legend of the topology's colours and edge styles, as [class for a swatch, words]. */
export const LEGEND: [string, string][] = [
  ['box snp', 'SNP / SC: table sets snoop, unit has snoop control'],
  ['box nosnp', 'no SNP / no SC'],
  ['fill amber', 'wbinvd ON: costs speed'],
  ['fill red', 'HAZARD: costs correctness'],
  ['line snp', 'device on a table with SNP'],
  ['line nosnp', 'device on a table without SNP'],
  ['line cross', "device on another unit's table"],
  ['line iommu', 'device → its unit; table → IOAS → VM'],
];

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The caption line and the legend, drawn under the topology at `top`. */
function footer(caption: Caption, top: number, width: number): SVGElement {
  const g = el('g', { transform: `translate(0,${top})`, class: 'export-footer' });
  g.append(
    el('text', { x: 12, y: 18, class: 'rowlabel', style: 'text-transform:none' }, captionText(caption)),
  );
  const colour: Record<string, string> = {
    snp: 'var(--snp)',
    nosnp: 'var(--nosnp)',
    amber: 'var(--amber)',
    red: 'var(--red)',
    cross: 'var(--nosnp)',
    iommu: 'var(--muted)',
  };
  const step = Math.max(180, width / 4);
  LEGEND.forEach(([swatch, words], i) => {
    const x = 12 + (i % 4) * step;
    const y = 30 + Math.floor(i / 4) * 18;
    const [shape, tone = ''] = swatch.split(' ');
    const c = colour[tone] ?? 'var(--muted)';
    if (shape === 'line') {
      const dash = tone === 'nosnp' ? '5 3' : tone === 'cross' ? '1 4' : 'none';
      g.append(
        el('line', {
          x1: x,
          y1: y + 6,
          x2: x + 22,
          y2: y + 6,
          stroke: c,
          'stroke-width': 2,
          'stroke-dasharray': dash,
        }),
      );
    } else {
      const fill = shape === 'fill' ? c : 'none';
      const dash = tone === 'nosnp' ? '4 2' : 'none';
      g.append(
        el('rect', {
          x,
          y,
          width: 22,
          height: 12,
          rx: 2,
          fill,
          stroke: c,
          'stroke-width': 2,
          'stroke-dasharray': dash,
        }),
      );
    }
    g.append(
      el(
        'text',
        { x: x + 28, y: y + 10, class: 'rowlabel', style: 'text-transform:none;letter-spacing:0' },
        words,
      ),
    );
  });
  return g;
}

/** A standalone SVG of the whole topology (not just the visible part), theme colours inlined, captioned. */
export function topologySvg(svg: SVGSVGElement, width: number, height: number, caption: Caption): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const style = getComputedStyle(document.documentElement);
  const vars = COLOUR_VARS.map((v) => `${v}:${style.getPropertyValue(v).trim()}`).join(';');
  const total = height + FOOTER_H;
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('viewBox', `0 0 ${width} ${total}`);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(total));
  clone.setAttribute('style', `${vars};background:${style.getPropertyValue('--bg').trim()}`);
  const bg = el('rect', { width, height: total, fill: style.getPropertyValue('--bg').trim() });
  clone.insertBefore(bg, clone.firstChild);
  clone.append(footer(caption, height, width));
  for (const node of clone.querySelectorAll('.edge-hit')) node.remove();
  for (const node of clone.querySelectorAll('[tabindex],[role],[aria-pressed]')) {
    node.removeAttribute('tabindex');
    node.removeAttribute('aria-pressed');
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

export function exportSvg(caption: Caption, svg: SVGSVGElement, width: number, height: number) {
  const text = topologySvg(svg, width, height, caption);
  download(new Blob([text], { type: 'image/svg+xml' }), `${caption.lab}-topology.svg`);
}

export async function exportPng(caption: Caption, svg: SVGSVGElement, width: number, height: number) {
  const text = topologySvg(svg, width, height, caption);
  const lab = caption.lab;
  const full = height + FOOTER_H;
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    // Canvases have an area limit; very wide labs are scaled down to fit it.
    const scale = Math.min(2, 16_000 / width, 16_000 / full);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(full * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('PNG encoding failed');
    download(blob, `${lab}-topology.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
