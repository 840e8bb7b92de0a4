'use client';
// Every event as a tick coloured by result, drawn on a canvas so thousands of events cost one element.
// Events are binned per pixel column (refused wins over VM effects over plain), so a redraw costs O(width).
import { useEffect, useRef } from 'react';
import type { LabEvent } from '../../lib/types';

interface Props {
  events: LabEvent[];
  maxSeq: number;
  viewSeq: number;
  mark: number | null;
}

const PLAIN = 1;
const VM = 2;
const REFUSED = 3;

export function TickStrip({ events, maxSeq, viewSeq, mark }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const frame = requestAnimationFrame(() => {
      const width = canvas.clientWidth;
      const height = canvas.clientHeight;
      const ratio = window.devicePixelRatio || 1;
      canvas.width = width * ratio;
      canvas.height = height * ratio;
      const ctx = canvas.getContext('2d');
      if (!ctx || width === 0) return;
      ctx.scale(ratio, ratio);
      const style = getComputedStyle(canvas);
      const colour = (name: string) => style.getPropertyValue(name).trim() || '#888';
      const palette = ['', colour('--snp'), colour('--amber'), colour('--red')];
      const x = (seq: number) => (maxSeq <= 0 ? 0 : Math.round((seq / maxSeq) * (width - 2) + 1));
      const bins = new Uint8Array(width + 2);
      for (const e of events) {
        const kind = !e.result.ok ? REFUSED : e.effects.some((f) => f.type.startsWith('vm.')) ? VM : PLAIN;
        const i = x(e.seq);
        if (kind > (bins[i] ?? 0)) bins[i] = kind;
      }
      ctx.clearRect(0, 0, width, height);
      ctx.fillStyle = colour('--line');
      ctx.fillRect(0, height / 2, width, 1);
      for (let i = 0; i < bins.length; i++) {
        const kind = bins[i] ?? 0;
        if (!kind) continue;
        ctx.fillStyle = palette[kind] ?? '#888';
        if (kind === REFUSED) ctx.fillRect(i - 0.5, 0, 1.5, height);
        else ctx.fillRect(i - 0.5, 3, 1.5, height - 6);
      }
      if (mark !== null) {
        ctx.fillStyle = colour('--red');
        ctx.beginPath();
        ctx.arc(x(mark), height / 2, 4, 0, Math.PI * 2);
        ctx.fill();
      }
      ctx.fillStyle = colour('--accent');
      ctx.fillRect(x(viewSeq) - 1, 0, 2, height);
    });
    return () => cancelAnimationFrame(frame);
  }, [events, maxSeq, viewSeq, mark]);
  return <canvas ref={ref} aria-label="Events by seq" />;
}
