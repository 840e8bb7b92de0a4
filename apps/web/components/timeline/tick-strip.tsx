'use client';
// Every event as a tick coloured by result, drawn on a canvas so thousands of events cost one element.
import { useEffect, useRef } from 'react';
import type { LabEvent } from '../../lib/types';

interface Props {
  events: LabEvent[];
  maxSeq: number;
  viewSeq: number;
  mark: number | null;
}

export function TickStrip({ events, maxSeq, viewSeq, mark }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(ratio, ratio);
    const style = getComputedStyle(canvas);
    const colour = (name: string) => style.getPropertyValue(name).trim() || '#888';
    const x = (seq: number) => (maxSeq <= 0 ? 0 : (seq / maxSeq) * (width - 2) + 1);
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = colour('--line');
    ctx.fillRect(0, height / 2, width, 1);
    for (const e of events) {
      ctx.fillStyle = e.result.ok
        ? colour(e.effects.some((f) => f.type.startsWith('vm.')) ? '--amber' : '--snp')
        : colour('--red');
      ctx.fillRect(x(e.seq) - 0.5, e.result.ok ? 3 : 0, 1.5, e.result.ok ? height - 6 : height);
    }
    if (mark !== null) {
      ctx.fillStyle = colour('--red');
      ctx.beginPath();
      ctx.arc(x(mark), height / 2, 4, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillStyle = colour('--accent');
    ctx.fillRect(x(viewSeq) - 1, 0, 2, height);
  }, [events, maxSeq, viewSeq, mark]);
  return <canvas ref={ref} aria-label="Events by seq" />;
}
