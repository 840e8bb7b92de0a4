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

/** A standalone SVG of the whole topology (not just the visible part), with the theme's colours inlined. */
export function topologySvg(svg: SVGSVGElement, width: number, height: number): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const style = getComputedStyle(document.documentElement);
  const vars = COLOUR_VARS.map((v) => `${v}:${style.getPropertyValue(v).trim()}`).join(';');
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('style', `${vars};background:${style.getPropertyValue('--bg').trim()}`);
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', String(width));
  bg.setAttribute('height', String(height));
  bg.setAttribute('fill', style.getPropertyValue('--bg').trim());
  clone.insertBefore(bg, clone.firstChild);
  for (const el of clone.querySelectorAll('[tabindex],[role],[aria-pressed]')) {
    el.removeAttribute('tabindex');
    el.removeAttribute('aria-pressed');
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

export function exportSvg(lab: string, svg: SVGSVGElement, width: number, height: number) {
  download(new Blob([topologySvg(svg, width, height)], { type: 'image/svg+xml' }), `${lab}-topology.svg`);
}

export async function exportPng(lab: string, svg: SVGSVGElement, width: number, height: number) {
  const text = topologySvg(svg, width, height);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    // Canvases have an area limit; very wide labs are scaled down to fit it.
    const scale = Math.min(2, 16_000 / width, 16_000 / height);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
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
