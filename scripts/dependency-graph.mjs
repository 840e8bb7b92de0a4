#!/usr/bin/env node
// Checks how the workspaces depend on each other (docs/architecture.md): apps depend on packages, never a
// package on an app; the web app depends on the contract package (@ioasid-lab/api) alone, in its
// package.json and in its imports; and the graph has no cycle. Exits 1 and names each problem otherwise.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const problems = [];

/** Every workspace: its folder, name and the workspaces it lists among its dependencies. */
const workspaces = rootPackage.workspaces
  .flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2))).map((dir) => join(pattern.slice(0, -2), dir))
      : [pattern],
  )
  .map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const listed = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    return { dir, name: manifest.name, deps: listed.filter((dep) => dep.startsWith('@ioasid-lab/')) };
  });
const byName = new Map(workspaces.map((workspace) => [workspace.name, workspace]));

for (const { dir, name, deps } of workspaces) {
  for (const dep of deps) {
    if (!byName.has(dep)) problems.push(`${name} lists ${dep}, which is not a workspace`);
    else if (dir.startsWith('packages/') && byName.get(dep).dir.startsWith('apps/')) {
      problems.push(`${name} (a package) depends on the app ${dep}`);
    }
  }
}

const web = byName.get('@ioasid-lab/web');
if (!web) problems.push('no @ioasid-lab/web workspace');
else {
  const other = web.deps.filter((dep) => dep !== '@ioasid-lab/api');
  if (other.length > 0)
    problems.push(`@ioasid-lab/web lists ${other.join(', ')}: it may depend on @ioasid-lab/api only`);
  // Its sources, too: an import resolved through the hoisted node_modules would not show in package.json.
  const sources = readdirSync(join(root, web.dir), { recursive: true, withFileTypes: true }).filter(
    (entry) =>
      entry.isFile() &&
      /\.(ts|tsx|mjs|js)$/.test(entry.name) &&
      !/(^|\/)(node_modules|\.next)(\/|$)/.test(relative(root, entry.parentPath)),
  );
  for (const entry of sources) {
    const path = join(entry.parentPath, entry.name);
    for (const match of readFileSync(path, 'utf8').matchAll(/from\s+['"](@ioasid-lab\/[\w-]+)/g)) {
      if (match[1] !== '@ioasid-lab/api') problems.push(`${relative(root, path)} imports ${match[1]}`);
    }
  }
}

/** Depth-first search for a cycle; returns the first found as a list of names, or null. */
function findCycle() {
  const state = new Map();
  const visit = (name, path) => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'open') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'open');
    for (const dep of byName.get(name)?.deps ?? []) {
      const cycle = visit(dep, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, 'done');
    return null;
  };
  for (const { name } of workspaces) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return null;
}
const cycle = findCycle();
if (cycle) problems.push(`dependency cycle: ${cycle.join(' -> ')}`);

for (const problem of problems) console.error(problem);
console.log(`${workspaces.length} workspaces checked, ${problems.length} problems`);
process.exit(problems.length > 0 ? 1 : 0);
