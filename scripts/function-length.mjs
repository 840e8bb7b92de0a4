#!/usr/bin/env node
// Checks the size of every function in the source (tests, generated files and benchmarks aside): none
// over 100 lines, and none over 80 unless the comment just above it says why, in a line starting with
// "Long" ("Long because ...", "Long only in markup ...", "Long: ..."). TypeScript is measured with the compiler's own parser; C by its top-level braces (the kernel
// style the core follows puts each function's opening brace alone on a line).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const SOFT = 80;
const HARD = 100;
const problems = [];

const files = ts.sys
  .readDirectory(root, ['.ts', '.tsx', '.c', '.mjs'], ['**/node_modules', '**/.next', '**/dist'])
  .map((path) => relative(root, path))
  .filter(
    (path) =>
      /^(apps|packages|conformance|scripts)\//.test(path) &&
      !/\.(test|spec|bench)\.tsx?$|\/tests?\/|\/bench\/|\/fixtures\/|\.generated\.|abi-layout\.ts$|abi_layout\.c$/.test(
        path,
      ),
  );

function allowedLong(lines, startLine) {
  for (let i = startLine - 1; i >= 0 && i >= startLine - 12; i--) {
    const text = lines[i].trim();
    if (/^(\/\/|\*|\/\*\*?)\s*Long\b/.test(text)) return true;
    if (text === '' || !(text.startsWith('//') || text.startsWith('*') || text.startsWith('/*'))) {
      if (!text.startsWith('@') && !text.startsWith('export')) break;
    }
  }
  return false;
}

function report(path, name, start, length, lines) {
  if (length > HARD) problems.push(`${path}:${start + 1} ${name}: ${length} lines (at most ${HARD})`);
  else if (length > SOFT && !allowedLong(lines, start)) {
    problems.push(
      `${path}:${start + 1} ${name}: ${length} lines, over ${SOFT} without a comment saying why ("Long ...")`,
    );
  }
}

for (const path of files) {
  const text = readFileSync(join(root, path), 'utf8');
  const lines = text.split('\n');
  if (path.endsWith('.c')) {
    // A function: a line at column 0 that is "{", after its signature; it ends at the next "}" at column 0.
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== '{') continue;
      let signature = i - 1;
      while (signature > 0 && /^\s/.test(lines[signature]) && lines[signature].trim() !== '') signature--;
      const end = lines.indexOf('}', i);
      const name = /(\w+)\s*\(/.exec(lines[signature])?.[1] ?? '?';
      report(path, name, signature, end - signature + 1, lines);
    }
    continue;
  }
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.end).line;
      const name = node.name?.getText(source) ?? ts.SyntaxKind[node.kind];
      report(path, name, start, end - start + 1, lines);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

for (const problem of problems) console.log(problem);
console.log(`${files.length} files checked, ${problems.length} functions too long`);
process.exit(problems.length ? 1 : 0);
