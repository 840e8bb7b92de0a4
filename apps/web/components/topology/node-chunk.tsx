// A run of topology nodes rendered as one memoised unit, so a live update visits a few dozen chunks
// instead of a thousand nodes; only chunks whose nodes, selection, flash or dimming changed re-render.
import { memo } from 'react';
import type { LaidNode } from '../../lib/layout';
import { NodeView } from './node-view';

interface Props {
  nodes: LaidNode[];
  selected: string | null;
  /** Keys of flashing / dimmed nodes in this chunk, joined: cheap to compare. */
  flashSig: string;
  dimSig: string;
  detail: boolean;
  onSelect: (key: string) => void;
  onOpen: (key: string) => void;
}

function NodeChunkInner({ nodes, selected, flashSig, dimSig, detail, onSelect, onOpen }: Props) {
  const flashing = new Set(flashSig ? flashSig.split('\n') : []);
  const dimmed = new Set(dimSig ? dimSig.split('\n') : []);
  return (
    <>
      {nodes.map((node) => (
        <NodeView
          key={node.key}
          node={node}
          selected={node.key === selected}
          flashing={flashing.has(node.key)}
          dimmed={dimmed.has(node.key)}
          detail={detail}
          onSelect={onSelect}
          onOpen={onOpen}
        />
      ))}
    </>
  );
}

export const NodeChunk = memo(
  NodeChunkInner,
  (a, b) =>
    a.selected === b.selected &&
    a.flashSig === b.flashSig &&
    a.dimSig === b.dimSig &&
    a.detail === b.detail &&
    a.onSelect === b.onSelect &&
    a.onOpen === b.onOpen &&
    a.nodes.length === b.nodes.length &&
    a.nodes.every((n, i) => n === b.nodes[i]),
);

export const CHUNK = 48;
