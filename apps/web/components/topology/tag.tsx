// A small labelled badge inside an SVG node: SNP / no SNP, wbinvd ON, HAZARD.
// Width follows the text length so badges never clip.

export type TagTone = 'snp' | 'nosnp' | 'amber' | 'red' | 'off' | 'latent';

export function Tag({ x, y, text, tone }: { x: number; y: number; text: string; tone: TagTone }) {
  const w = text.length * 6.6 + 8;
  return (
    <g className={`tag ${tone}`} transform={`translate(${x - w},${y})`}>
      <rect width={w} height={15} rx={3} />
      <text x={4} y={11}>
        {text}
      </text>
    </g>
  );
}
