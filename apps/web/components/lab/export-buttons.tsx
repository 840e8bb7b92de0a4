'use client';
// Header buttons that export the lab: its events as JSON, its topology as SVG or PNG (drawn in full detail).
// SVG and PNG are taken with every node drawn in full, then the canvas returns to its zoom.
import { type RefObject, useState } from 'react';
import { flushSync } from 'react-dom';
import { type Caption, exportLabJson, exportPng, exportSvg } from '../../lib/exports';
import type { Layout } from '../../lib/layout';
import type { LabState } from '../../lib/types';

interface Props {
  lab: string;
  state: LabState | null;
  layout: Layout | null;
  svgRef: RefObject<SVGSVGElement | null>;
  /** Asks the canvas to draw every node with its labels (and uncull), whatever the zoom. */
  setForceDetail: (on: boolean) => void;
}

export function ExportButtons({ lab, state, layout, svgRef, setForceDetail }: Props) {
  const caption: Caption = {
    lab,
    policy: state?.policy,
    kernel: (state as { kernel?: string } | null)?.kernel,
    seq: state?.seq ?? 0,
  };
  const [error, setError] = useState<string | null>(null);

  // Exports carry every label, even when the canvas is zoomed out to boxes: render in full, copy, go back.
  const withFullDetail = async (
    job: (svg: SVGSVGElement, width: number, height: number) => Promise<void> | void,
  ) => {
    flushSync(() => setForceDetail(true));
    try {
      const svg = svgRef.current;
      if (!svg || !layout) throw new Error('nothing to export yet');
      await job(svg, layout.width, layout.height);
    } finally {
      setForceDetail(false);
    }
  };

  const run = (job: () => Promise<void> | void) => {
    setError(null);
    Promise.resolve()
      .then(job)
      .catch((e: Error) => setError(e.message));
  };

  return (
    <>
      <button type="button" onClick={() => run(() => exportLabJson(lab))}>
        Export JSON
      </button>
      <button
        type="button"
        disabled={!layout}
        onClick={() => run(() => withFullDetail((svg, w, h) => exportSvg(caption, svg, w, h)))}
      >
        Export SVG
      </button>
      <button
        type="button"
        disabled={!layout}
        onClick={() => run(() => withFullDetail((svg, w, h) => exportPng(caption, svg, w, h)))}
      >
        Export PNG
      </button>
      {error ? (
        <span role="alert" className="refused">
          {error}
        </span>
      ) : null}
    </>
  );
}
