#!/usr/bin/env node
// Generates the TypeScript view of the core's ABI from native/include/ioasid_lab.h, the one place it is
// stated: constants, enum names (each value's wire name is the first word of its comment), and every
// struct's size and field offsets as the C compiler lays them out. Also generates native/src/abi_layout.c,
// which compiles the same offsets into the library (ioasid_abi_layout), so a test can hold the TypeScript
// encoder to the compiled library, and packages/api/src/vocab.generated.ts, the enums the API exposes as
// vocabularies (policies, kernels, vendors, ...), so packages/api states none of them by hand, and
// native/src/abi_names.h, the same names as C string macros for the core's JSON, messages and range checks;
// and from native/src/vm_fields.h, the list of a VM's stored facts, packages/api/src/schemas/
// vm-fields.generated.ts, their schema in the API's VmState; and from the op structs' json: comments
// (gen-ops.mjs), packages/core/src/op-encoders.generated.ts and packages/api/src/schemas/
// op-fields.generated.ts, each op's encoder and its schema and type.
//
//   --check          exit 1 if the committed outputs differ from a fresh run (and write nothing)
//   --out DIR        write the outputs under DIR, at their paths relative to the repository root, instead
//                    of in place (a test regenerates into a temp dir and compares)
//   --header FILE    read FILE instead of native/include/ioasid_lab.h (named ioasid_lab.h too, since
//                    abi_layout.c includes it by that name)
//   --vm-fields FILE read FILE instead of native/src/vm_fields.h
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { encodersModule, opFieldsModule, parseOpShapes } from './gen-ops.mjs';

const root = join(import.meta.dirname, '..');
const repoRoot = join(root, '..', '..');
const layoutC = join(root, 'native', 'src', 'abi_layout.c');
const layoutTs = join(root, 'src', 'abi-layout.ts');
const vocabTs = join(repoRoot, 'packages', 'api', 'src', 'vocab.generated.ts');
const namesH = join(root, 'native', 'src', 'abi_names.h');

/** The value following `name` on the command line, if the flag is there. */
function option(name) {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return resolve(value);
}

const vmFieldsTs = join(repoRoot, 'packages', 'api', 'src', 'schemas', 'vm-fields.generated.ts');
const encodersTs = join(root, 'src', 'op-encoders.generated.ts');
const opFieldsTs = join(repoRoot, 'packages', 'api', 'src', 'schemas', 'op-fields.generated.ts');

const check = process.argv.includes('--check');
const outDir = option('--out');
const headerPath = option('--header') ?? join(root, 'native', 'include', 'ioasid_lab.h');
const vmFieldsPath = option('--vm-fields') ?? join(root, 'native', 'src', 'vm_fields.h');

/**
 * The header's enums that packages/api exposes as vocabularies, by the name vocab.ts exports them under.
 * A new value of one of these enums needs no edit here; a new vocabulary is one line.
 */
const API_VOCABULARIES = {
  POLICIES: 'policy',
  KERNELS: 'kernel',
  VENDORS: 'vendor',
  RESERVED_KINDS: 'resv_kind',
  DEVICE_KINDS: 'device_kind',
  REQUIRES_KVM: 'requires_kvm',
  ANNOUNCE_KVM: 'announce',
  EFFECT_TYPES: 'effect',
};

const header = readFileSync(headerPath, 'utf8');

/** #define IOASID_X <number or (1u << n)>, skipping the include guard and the visibility macro. */
function parseConstants(text) {
  const constants = {};
  for (const match of text.matchAll(/^#define IOASID_(\w+)\s+(\(?\d+(?:ull|ul|u)?(?:\s*<<\s*\d+)?\)?)/gm)) {
    const expression = match[2].replaceAll(/ull|ul|u/g, '').replaceAll(/[()]/g, '');
    const [base, shift] = expression.split('<<').map((part) => Number(part.trim()));
    constants[match[1]] = shift === undefined ? base : base * 2 ** shift;
  }
  return constants;
}

/**
 * enum ioasid_x { IOASID_..._Y = n, /* wire-name ... *\/ }: names by value, and the C identifier of each
 * value (`identifiers`, for abi_names.h).
 */
function parseEnums(text) {
  const enums = {};
  for (const match of text.matchAll(/enum ioasid_(\w+) \{([\s\S]*?)\};/g)) {
    const names = [];
    const ids = [];
    for (const entry of match[2].matchAll(/(IOASID_\w+) = (\d+),\s*\/\* ([^\s:*]+)/g)) {
      names[Number(entry[2])] = entry[3];
      ids[Number(entry[2])] = entry[1];
    }
    if (names.some((name) => name === undefined)) throw new Error(`enum ioasid_${match[1]} has a gap`);
    enums[match[1]] = names;
    identifiers[match[1]] = ids;
  }
  return enums;
}

/** C identifier of each enum value, by enum, filled by parseEnums. */
const identifiers = {};

/** struct ioasid_x { type field[dims]; ... }: field names in order (reserved padding left out). */
function parseStructs(text) {
  const structs = {};
  for (const match of text.matchAll(/struct ioasid_(\w+) \{([\s\S]*?)\};/g)) {
    const fields = [];
    for (const line of match[2].split('\n')) {
      const field = /^\s*(?:struct\s+)?\w+\s+(\w+)(?:\[[^\]]+\])*;/.exec(line);
      if (field && !field[1].startsWith('__')) fields.push(field[1]);
    }
    structs[match[1]] = fields;
  }
  return structs;
}

const constants = parseConstants(header);
const enums = parseEnums(header);
const structs = parseStructs(header);

/** abi_layout.c: sizeof and per field offsetof/sizeof, in the order of `structs`. */
function layoutSource() {
  const lines = [
    '/* abi_layout.c - generated by scripts/gen-abi.mjs from include/ioasid_lab.h: do not edit.',
    ' * Every struct of the ABI as the compiler lays it out: sizeof, then offsetof and sizeof per field. */',
    '#include <stddef.h>',
    '#include <string.h>',
    '#include "ioasid_lab.h"',
    '',
    '#define FIELD(s, f) offsetof(struct ioasid_##s, f), sizeof(((struct ioasid_##s *)0)->f)',
    '',
    'static const uint32_t layout[] = {',
  ];
  for (const [name, fields] of Object.entries(structs)) {
    lines.push(`\tsizeof(struct ioasid_${name}),`);
    for (const field of fields) lines.push(`\tFIELD(${name}, ${field}),`);
  }
  lines.push(
    '};',
    '',
    'int32_t ioasid_abi_layout(uint32_t *out, uint32_t cap)',
    '{',
    '\tuint32_t n = sizeof(layout) / sizeof(layout[0]);',
    '',
    '\tif (out && cap >= n)',
    '\t\tmemcpy(out, layout, sizeof(layout));',
    '\treturn (int32_t)n;',
    '}',
    '',
  );
  return lines.join('\n');
}

/**
 * abi_names.h: the wire name of every enum value as C string macros, so the core's JSON, messages and range
 * checks take them from the header too: IOASID_VENDOR_VTD_NAME, and per enum IOASID_VENDOR_NAMES (an array
 * initializer in value order) and IOASID_VENDOR_COUNT.
 */
function namesSource() {
  const lines = [
    '/* abi_names.h - generated by scripts/gen-abi.mjs from include/ioasid_lab.h: do not edit.',
    ' * The wire name of every enum value (the first word of its comment in the header). */',
    '#ifndef IOASID_ABI_NAMES_H',
    '#define IOASID_ABI_NAMES_H',
  ];
  for (const [tag, names] of Object.entries(enums)) {
    const upper = `IOASID_${tag.toUpperCase()}`;
    lines.push('', `/* enum ioasid_${tag} */`);
    names.forEach((name, value) => {
      lines.push(`#define ${identifiers[tag][value]}_NAME ${JSON.stringify(name)}`);
    });
    lines.push(`#define ${upper}_COUNT ${names.length}u`);
    lines.push(`#define ${upper}_NAMES { ${names.map((name) => JSON.stringify(name)).join(', ')} }`);
  }
  lines.push('', '#endif', '');
  return lines.join('\n');
}

/** Compiles abi_layout.c with a main that prints the table, and runs it. */
function compiledLayout(source) {
  const dir = mkdtempSync(join(tmpdir(), 'ioasid-abi-'));
  try {
    writeFileSync(join(dir, 'abi_layout.c'), source);
    writeFileSync(
      join(dir, 'main.c'),
      '#include <stdio.h>\n#include "ioasid_lab.h"\nint main(void) { uint32_t t[4096]; int32_t n = ' +
        'ioasid_abi_layout(t, 4096); for (int32_t i = 0; i < n; i++) printf("%u\\n", t[i]); return 0; }\n',
    );
    const binary = join(dir, 'dump');
    execFileSync(process.env.CC ?? 'cc', [
      '-std=c11',
      '-I',
      dirname(headerPath),
      '-o',
      binary,
      join(dir, 'abi_layout.c'),
      join(dir, 'main.c'),
    ]);
    return execFileSync(binary, { encoding: 'utf8' }).trim().split('\n').map(Number);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The compiled table as { struct: { sizeof, fields: { field: { offset, size } } } }. */
function layoutOf(table) {
  const out = {};
  let at = 0;
  for (const [name, fields] of Object.entries(structs)) {
    const entry = { sizeof: table[at++], fields: {} };
    for (const field of fields) {
      entry.fields[field] = { offset: table[at], size: table[at + 1] };
      at += 2;
    }
    out[name] = entry;
  }
  return out;
}

function layoutModule(table) {
  const out = {};
  for (const [name, { sizeof, fields }] of Object.entries(layoutOf(table))) {
    out[name] = {
      sizeof,
      ...Object.fromEntries(Object.entries(fields).map(([field, { offset }]) => [field, offset])),
    };
  }
  const json = (value) => JSON.stringify(value, null, 2);
  return [
    '// Generated by scripts/gen-abi.mjs from native/include/ioasid_lab.h: do not edit. `npm run build` in',
    '// packages/core regenerates it; abi-layout.test.ts fails if it differs from the header or the library.',
    '',
    `export const CONSTANTS = ${json(constants)} as const;`,
    '',
    '/** Wire names of each enum, indexed by value. */',
    `export const ENUMS = ${json(enums)} as const;`,
    '',
    '/** Each struct: sizeof and the offset of each field (its first field is itself named size). */',
    `export const STRUCTS = ${json(out)} as const;`,
    '',
    '/** What ioasid_abi_layout() of the compiled library must answer: sizes, offsets and field sizes. */',
    `export const LAYOUT_TABLE: readonly number[] = ${JSON.stringify(table)};`,
    '',
  ].join('\n');
}

/** vocab.generated.ts: each vocabulary of API_VOCABULARIES as a const tuple, in enum value order. */
function vocabModule() {
  const lines = [
    '// Generated by packages/core/scripts/gen-abi.mjs from packages/core/native/include/ioasid_lab.h:',
    '// do not edit. Each list holds the wire names of one of the header enums, indexed by value;',
    '// vocab.ts re-exports them. `npm run build` (or `npm run gen`) in packages/core regenerates this',
    '// file; packages/core/src/gen-abi.test.ts fails if it differs from what the header gives.',
  ];
  for (const [name, enumName] of Object.entries(API_VOCABULARIES)) {
    const values = enums[enumName];
    if (!values) throw new Error(`enum ioasid_${enumName} (for ${name}) is not in ${headerPath}`);
    lines.push(
      '',
      `/** enum ioasid_${enumName} */`,
      `export const ${name} = ${JSON.stringify(values)} as const;`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The TypeBox schema of each kind of vm_fields.h. */
const VM_FIELD_SCHEMAS = {
  VM_HEX64: (doc) => `HexOf(${doc})`,
  VM_U32: (doc) => `Type.Integer({ minimum: 0, description: ${doc} })`,
  VM_BOOL: (doc) => `Type.Boolean({ description: ${doc} })`,
  VM_DEVICES: (doc) => `Type.Array(Name, { description: ${doc} })`,
};

/**
 * vm_fields.h's X(kind, field, "json", "description" ...) lines, in order. The description may be split
 * into adjacent C string literals across lines, as C joins them.
 */
function parseVmFields(text) {
  const body = /#define VM_FIELDS\(X\)([\s\S]*?)\n\n/.exec(text)?.[1];
  if (!body) throw new Error(`no VM_FIELDS(X) list in ${vmFieldsPath}`);
  const joined = body.replaceAll(/\\\n/g, ' ');
  const fields = [];
  for (const match of joined.matchAll(/X\((\w+),\s*(\w+),\s*"([^"]+)",((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)/g)) {
    const [, kind, field, json, literals] = match;
    if (!VM_FIELD_SCHEMAS[kind]) throw new Error(`vm_fields.h: ${field} has unknown kind ${kind}`);
    const description = [...literals.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((part) => part[1]).join('');
    fields.push({ kind, field, json, description });
  }
  if (fields.length === 0) throw new Error(`VM_FIELDS(X) in ${vmFieldsPath} lists no field`);
  return fields;
}

/** vm-fields.generated.ts: the VM's stored facts as TypeBox properties, for schemas/state.ts's VmState. */
function vmFieldsModule() {
  const lines = [
    '// Generated by packages/core/scripts/gen-abi.mjs from packages/core/native/src/vm_fields.h: do not',
    "// edit. The VM's stored facts, in the order the core writes them; schemas/state.ts builds VmState",
    '// around them. `npm run gen` in packages/core regenerates this file.',
    "import { Type } from 'typebox';",
    "import { HexOf, Name } from './common.ts';",
    '',
    'export const VM_STORED_FIELDS = {',
  ];
  for (const { kind, json, description } of parseVmFields(readFileSync(vmFieldsPath, 'utf8')))
    lines.push(`  ${json}: ${VM_FIELD_SCHEMAS[kind](JSON.stringify(description))},`);
  lines.push('};', '');
  return lines.join('\n');
}

/** text as the repository's formatter writes the file at path, so a fresh run is byte-identical. */
function formatted(path, text) {
  const biome = join(repoRoot, 'node_modules', '.bin', 'biome');
  return execFileSync(biome, ['format', '--stdin-file-path', path], { input: text, encoding: 'utf8' });
}

function readOrEmpty(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // missing: stale
  }
}

const source = layoutSource();
const table = compiledLayout(source);
const ops = {
  shapes: parseOpShapes(header),
  enums,
  constants,
  layout: layoutOf(table),
  vocabOf: (tag) => {
    const name = Object.keys(API_VOCABULARIES).find((key) => API_VOCABULARIES[key] === tag);
    if (!name) throw new Error(`enum ioasid_${tag} is in an op's json: but not among API_VOCABULARIES`);
    return name;
  },
};
const outputs = [
  [layoutC, source],
  [layoutTs, formatted(layoutTs, layoutModule(table))],
  [encodersTs, formatted(encodersTs, encodersModule(ops))],
  [opFieldsTs, formatted(opFieldsTs, opFieldsModule(ops))],
  [vocabTs, formatted(vocabTs, vocabModule())],
  [namesH, namesSource()],
  [vmFieldsTs, formatted(vmFieldsTs, vmFieldsModule())],
];
let stale = false;
for (const [path, text] of outputs) {
  if (outDir) {
    const target = join(outDir, relative(repoRoot, path));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    continue;
  }
  if (readOrEmpty(path) === text) continue;
  stale = true;
  if (check) console.error(`${relative(repoRoot, path)} is out of date with ioasid_lab.h: run npm run build`);
  else writeFileSync(path, text);
}
process.exit(check && stale ? 1 : 0);
