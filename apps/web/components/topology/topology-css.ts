// Styles of the topology SVG, kept as a string so the exported SVG carries exactly what the page shows.
// Colours come from CSS variables; export resolves them into the file. Dimming fades fill and stroke, not
// the group's opacity: an opacity per node is a compositing effect per node, and with thousands dimmed a
// repaint spent 50-115 ms re-layerizing them.

export const COLOUR_VARS = [
  '--fg',
  '--bg',
  '--muted',
  '--panel',
  '--line',
  '--snp',
  '--nosnp',
  '--amber',
  '--red',
  '--flash',
  '--accent',
  '--on-red',
];

export const TOPOLOGY_CSS = `
.tn rect.box { fill: var(--panel); stroke: var(--line); stroke-width: 1; }
.tn text { fill: var(--fg); font: 11px ui-monospace, SFMono-Regular, Menlo, monospace; }
.tn text.title { font-weight: 600; font-size: 12px; }
.tn text.muted { fill: var(--muted); }
.tn text.hazard-note { fill: var(--red); font-size: 10px; }
.tn.snp rect.box { stroke: var(--snp); stroke-width: 2; }
.tn.nosnp rect.box { stroke: var(--nosnp); stroke-width: 2; stroke-dasharray: 4 2; }
.tn.sel rect.box { stroke: var(--accent); stroke-width: 3; }
.tn.dim rect, .tn.dim text { fill-opacity: 0.25; stroke-opacity: 0.25; }
.tn.lod.vm.wbinvd rect.box { fill: var(--amber); }
.tn.lod.vm.hazard rect.box { fill: var(--red); }
.tn.flash rect.box { animation: tnflash 1s ease-out; }
@keyframes tnflash { from { fill: var(--flash); } to { fill: var(--panel); } }
.tag rect { stroke-width: 1; }
.tag text { font-size: 10px; font-weight: 600; }
.tag.snp rect { fill: none; stroke: var(--snp); } .tag.snp text { fill: var(--snp); }
.tag.nosnp rect { fill: none; stroke: var(--nosnp); } .tag.nosnp text { fill: var(--nosnp); }
.tag.amber rect { fill: var(--amber); stroke: var(--amber); } .tag.amber text { fill: #1b1300; }
.tag.red rect { fill: var(--red); stroke: var(--red); } .tag.red text { fill: var(--on-red); }
.tag.latent rect { fill: none; stroke: var(--red); stroke-dasharray: 3 2; } .tag.latent text { fill: var(--red); }
.tag.off rect { fill: none; stroke: var(--line); } .tag.off text { fill: var(--muted); }
.edge { fill: none; stroke-width: 1.2; }
.edge.iommu { stroke: var(--line); }
.edge.snp { stroke: var(--snp); stroke-width: 1.6; }
.edge.nosnp { stroke: var(--nosnp); stroke-width: 1.6; stroke-dasharray: 5 3; }
.edge.mirror, .edge.owner { stroke: var(--muted); }
.edge.cross { stroke-dasharray: 1 4; stroke-linecap: round; stroke-width: 2.6; }
.edge.dim { stroke: var(--line); stroke-width: 1; stroke-dasharray: none; }
.edge.hot { stroke: var(--accent); stroke-width: 2.4; }
.edge-hit { fill: none; stroke: transparent; stroke-width: 10; pointer-events: stroke; }
.rowlabel { fill: var(--muted); font: 11px ui-sans-serif, system-ui, sans-serif; text-transform: uppercase; letter-spacing: .06em; }
`;
