// The ops' JSON shapes, read from the `json:` comments of the op structs in native/include/ioasid_lab.h (the
// header states the grammar above enum ioasid_cmd), and the two files generated from them:
//   packages/core/src/op-encoders.generated.ts  one straight-line encoder per op, JSON op → struct bytes
//   packages/api/src/schemas/op-fields.generated.ts  each op's TypeBox properties and its TypeScript shape
// gen-abi.mjs calls this with what it has already parsed and the layout the C compiler gave.

/**
 * The schemas a `json:` comment may name (exported by packages/api's schemas/common.ts), with the TypeScript
 * type of each and the vocab.ts list that type needs.
 */
const NAMED_SCHEMAS = {
  Name: { type: 'string' },
  Id: { type: 'number' },
  U64: { type: 'U64Input' },
  IovaBits: { type: '(typeof IOVA_BITS)[number]', vocab: 'IOVA_BITS' },
  PageSizes: { type: 'number[]' },
};
const MODIFIERS = new Set(['has', 'new', 'count', 'max', 'default']);

/** `key? schema WORD a=b default` → { key, optional, schema, words: ['WORD'], mods: { a: 'b', default: true } }. */
function parseSpec(spec, where) {
  const [keyToken, schema, ...rest] = spec.trim().split(/\s+/);
  if (!keyToken || !schema) throw new Error(`${where}: "json: ${spec}" needs a key and a schema`);
  const optional = keyToken.endsWith('?');
  const mods = {};
  const words = [];
  for (const token of rest) {
    const [name, value] = token.split('=');
    if (value === undefined && !MODIFIERS.has(name)) words.push(name);
    else if (!MODIFIERS.has(name)) throw new Error(`${where}: unknown modifier ${name}`);
    else mods[name] = value ?? true;
  }
  return { key: optional ? keyToken.slice(0, -1) : keyToken, optional, schema, words, mods };
}

const FIELD = /^\s*(?:struct\s+ioasid_(\w+)|(\w+))\s+(\w+)((?:\[[^\]]+\])*);\s*(?:\/\*(.*?)\*\/)?\s*$/;
const COMMENT_LINE = /^\s*\/\*(.*?)\*\/\s*$/;

/**
 * Each struct's JSON entries in order: { key, optional, schema, field, type, elem, ... } for a field, and
 * { key, schema: 'flag', flag, ... } for a bit of flags. A `json:` comment on a line of its own is a flag,
 * or states the field on the next line.
 */
export function parseOpShapes(header) {
  const shapes = {};
  for (const match of header.matchAll(/struct ioasid_(\w+) \{([\s\S]*?)\};/g)) {
    const entries = [];
    let pending = null;
    for (const line of match[2].split('\n')) {
      const where = `struct ioasid_${match[1]}`;
      const comment = COMMENT_LINE.exec(line)?.[1];
      if (comment !== undefined) {
        const spec = /json:(.*)$/.exec(comment)?.[1];
        if (spec === undefined) continue;
        const entry = parseSpec(spec, where);
        if (entry.schema === 'flag') entries.push({ ...entry, json: entry, flag: entry.words[0] });
        else pending = entry;
        continue;
      }
      const field = FIELD.exec(line);
      if (!field) continue;
      const [, elem, ctype, name, dims, fieldComment = ''] = field;
      const spec = /json:(.*)$/.exec(fieldComment)?.[1];
      const entry = pending ?? (spec === undefined ? null : parseSpec(spec, where));
      pending = null;
      const enumTag = /enum ioasid_(\w+)/.exec(fieldComment)?.[1];
      entries.push({ field: name, ctype: ctype ?? 'struct', elem, dims, enumTag, json: entry, ...entry });
    }
    shapes[match[1]] = entries;
  }
  return shapes;
}

/** The op structs: one per command but `refuse`, as ioas.map → ioas_map. */
function opStructs(enums) {
  return enums.cmd.filter((name) => name !== 'refuse').map((name) => [name, name.replace('.', '_')]);
}

/** Field entries that need a json: comment and lack one, for a clear refusal. */
function unannotated(entries) {
  const counts = new Set(entries.map((entry) => entry.mods?.count).filter(Boolean));
  return entries.filter(
    (entry) =>
      entry.field &&
      !entry.json &&
      !['size', 'flags'].includes(entry.field) &&
      !entry.field.startsWith('__') &&
      !counts.has(entry.field),
  );
}

function pascal(name) {
  return name.replace(/(^|[._])(\w)/g, (_, __, letter) => letter.toUpperCase());
}

/** `IOMMU_HAS_RESERVED` → its value, checked against the header's constants. */
function flagValue(name, constants, where) {
  const value = constants[name];
  if (value === undefined) throw new Error(`${where}: no #define IOASID_${name}`);
  return `0x${value.toString(16)} /* ${name} */`;
}

/** The encoding of one field entry, checked against its C type. */
function kindOf(entry, where) {
  const { ctype, schema, dims } = entry;
  const arrays = (dims.match(/\[/g) ?? []).length;
  if (schema === 'Name' && ctype === 'char' && arrays === 1) return 'name';
  if (schema === 'names' && ctype === 'char' && arrays === 2) return 'names';
  if (schema === 'list' && ctype === 'struct' && arrays === 1) return 'list';
  if (schema === 'U64' && ctype === 'uint64_t' && arrays === 0) return 'u64';
  if (ctype === 'uint32_t' && arrays === 0) {
    if (schema === 'enum') {
      if (!entry.enumTag) throw new Error(`${where}: an enum field's comment must name its enum ioasid_x`);
      return 'enum';
    }
    if (schema === 'PageSizes') return 'pagesizes';
    if (schema === 'Id' || schema === 'IovaBits') return 'u32';
  }
  throw new Error(`${where}: schema ${schema} does not fit the C field`);
}

/** Lines that encode one entry of struct `struct` at `base` (an expression) from `source`.key. */
function entryLines(entry, ctx) {
  const { struct, layout, constants, source, base } = ctx;
  const where = `struct ioasid_${struct}.${entry.field ?? entry.key}`;
  const value = `${source}.${entry.key}`;
  const what = `'${entry.key}'`;
  if (entry.schema === 'flag') {
    const bit = flagValue(entry.flag, constants, where);
    if (entry.mods.has) {
      const has = flagValue(entry.mods.has, constants, where);
      return [
        `const ${entry.key} = optBool(${value}, ${what});`,
        `if (${entry.key} !== undefined) flags |= ${entry.key} ? ${has} | ${bit} : ${has};`,
      ];
    }
    const test = entry.mods.default ? ` !== false` : '';
    return [`if (optBool(${value}, ${what})${test}) flags |= ${bit};`];
  }
  const field = layout[struct]?.fields[entry.field];
  if (!field) throw new Error(`${where}: not in the compiled layout`);
  const at =
    base === '0' || field.offset === 0
      ? `${base === '0' ? field.offset : base}`
      : `${base} + ${field.offset}`;
  const kind = kindOf(entry, where);
  let body;
  switch (kind) {
    case 'name':
      body = [`writeName(buf, ${at}, str(${value}, ${what}), ${what});`];
      break;
    case 'u64':
      body = [`writeU64(${at}, ${value}, ${what});`];
      break;
    case 'enum':
      body = [`writeU32(enumIndex(${value}, ${what}, ${ctx.vocab(entry.enumTag)}), ${at});`];
      break;
    case 'pagesizes':
      body = [`writeU32(pageSizeBits(${value}, ${what}), ${at});`];
      break;
    case 'u32':
      body = [`writeU32(u32(${value}, ${what}), ${at});`];
      if (entry.mods.new) {
        const flag = flagValue(entry.mods.new, constants, where);
        body = [`if (${value} === 'new') flags |= ${flag};`, `else ${body[0]}`];
      }
      break;
    case 'names':
    case 'list':
      body = listLines(entry, kind, { ...ctx, at, value, what, where });
      break;
  }
  if (entry.mods.has) body = [`flags |= ${flagValue(entry.mods.has, constants, where)};`, ...body];
  if (!entry.optional || entry.mods.new) return body;
  if (kind === 'names' && !entry.mods.has) return body; // absent: an empty list
  return [`if (${value} !== undefined) {`, ...body.map((line) => `  ${line}`), '}'];
}

/** A list: its length into the count field, then each element (a name, or a struct's own encoder). */
function listLines(entry, kind, ctx) {
  const { struct, layout, at, value, what, where } = ctx;
  const countField = layout[struct].fields[entry.mods.count];
  if (!countField) throw new Error(`${where}: count=${entry.mods.count} is not a field`);
  const elementSize = kind === 'names' ? layout.constants.NAME_LEN : layout[entry.elem].sizeof;
  const capacity = layout[struct].fields[entry.field].size / elementSize;
  const list = `${entry.key}List`;
  const source = kind === 'names' && entry.optional ? `${value} ?? []` : value;
  const element =
    kind === 'names'
      ? `writeName(buf, ${at} + i * ${elementSize}, str(${list}[i], ${what}), ${what});`
      : `encode${pascal(entry.elem)}(itemOf(${list}[i], ${what}), buf, ${at} + i * ${elementSize});`;
  return [
    `const ${list} = listOf(${source}, ${what}, ${capacity});`,
    `writeU32(${list}.length, ${countField.offset});`,
    `for (let i = 0; i < ${list}.length; i++) ${element}`,
  ];
}

/** One encoder function: ops return their flags; list elements write at `at` and return nothing. */
function encoderFunction(name, struct, entries, ctx, element) {
  const lines = element
    ? [`function encode${pascal(struct)}(item: Fields, buf: Buffer, at: number): void {`]
    : [
        `/** ${name}: struct ioasid_${struct}. */`,
        `export function encode${pascal(struct)}(op: Fields, buf: Buffer): number {`,
      ];
  const inner = { ...ctx, struct, source: element ? 'item' : 'op', base: element ? 'at' : '0' };
  const body = [];
  for (const entry of entries)
    if (entry.json) body.push(...entryLines(entry, inner).map((line) => `  ${line}`));
  const setsFlags = body.some((line) => line.includes('flags |='));
  if (!body.some((line) => line.includes('buf')))
    lines[lines.length - 1] = lines.at(-1).replace('buf:', '_buf:');
  if (setsFlags) lines.push('  let flags = 0;');
  lines.push(...body);
  if (!element) lines.push(setsFlags ? '  return flags;' : '  return 0;');
  lines.push('}');
  return lines.join('\n');
}

/** The element structs the op structs list, each once. */
function elementStructs(shapes, ops) {
  const elems = [];
  for (const [, struct] of ops)
    for (const entry of shapes[struct])
      if (entry.json && entry.schema === 'list' && !elems.includes(entry.elem)) elems.push(entry.elem);
  return elems;
}

function checkAnnotated(shapes, structs) {
  for (const struct of structs) {
    if (!shapes[struct]) throw new Error(`no struct ioasid_${struct} in the header`);
    const missing = unannotated(shapes[struct]);
    if (missing.length > 0) {
      const names = missing.map((entry) => entry.field).join(', ');
      throw new Error(`struct ioasid_${struct}: ${names} need a json: comment (see the header's grammar)`);
    }
  }
}

/** op-encoders.generated.ts. `vocabOf(tag)` is the ENUMS key of an enum tag (itself). */
export function encodersModule({ shapes, enums, constants, layout }) {
  const ops = opStructs(enums);
  const elems = elementStructs(shapes, ops);
  checkAnnotated(shapes, [...ops.map(([, struct]) => struct), ...elems]);
  const used = new Set();
  const ctx = {
    layout: { ...layout, constants },
    constants,
    vocab: (tag) => {
      used.add(tag);
      return tag.toUpperCase();
    },
  };
  const functions = [
    ...elems.map((elem) => encoderFunction(elem, elem, shapes[elem], ctx, true)),
    ...ops.map(([name, struct]) => encoderFunction(name, struct, shapes[struct], ctx, false)),
  ];
  const lines = [
    '// Generated by scripts/gen-abi.mjs from the json: comments of native/include/ioasid_lab.h: do not edit.',
    '// One straight-line encoder per op: checks each JSON field and writes it at its offset in the op struct',
    '// (the offsets as the C compiler lays them out). The struct is zeroed and its size set by encodeOp.',
    "import { ENUMS } from './abi-layout.ts';",
    'import {',
    '  enumIndex,',
    '  type Fields,',
    '  itemOf,',
    '  listOf,',
    '  optBool,',
    '  pageSizeBits,',
    '  str,',
    '  u32,',
    '  writeName,',
    '  writeU32,',
    '  writeU64,',
    "} from './encode-fields.ts';",
    '',
    ...[...used].sort().map((tag) => `const ${tag.toUpperCase()}: readonly string[] = ENUMS.${tag};`),
    '',
    functions.join('\n\n'),
    '',
    "/** Each op's encoder by name. */",
    'export const OP_ENCODERS = {',
    ...ops.map(([name, struct]) => `  '${name}': encode${pascal(struct)},`),
    '};',
    '',
  ];
  return lines.join('\n');
}

/** The TypeBox schema and the TypeScript type of one entry. */
function schemaOf(entry, ctx) {
  const where = `struct ioasid_${ctx.struct}.${entry.field ?? entry.key}`;
  if (entry.schema === 'flag') return ['Type.Boolean()', 'boolean'];
  const kind = kindOf(entry, where);
  const max = (capacity) => Number(entry.mods.max ?? capacity);
  const field = ctx.layout[ctx.struct].fields[entry.field];
  if (kind === 'enum') {
    const vocab = ctx.vocab(entry.enumTag);
    return [`OneOf(${vocab})`, `(typeof ${vocab})[number]`];
  }
  if (kind === 'names') {
    const capacity = field.size / ctx.constants.NAME_LEN;
    return [`Type.Array(Name, { maxItems: ${max(capacity)} })`, 'string[]'];
  }
  if (kind === 'list') {
    const capacity = field.size / ctx.layout[entry.elem].sizeof;
    const [schema, type] = objectOf(entry.elem, { ...ctx, struct: entry.elem });
    return [`Type.Array(Type.Object(${schema}, closed), { maxItems: ${max(capacity)} })`, `${type}[]`];
  }
  if (entry.mods.new) return [`Type.Union([${entry.schema}, Type.Literal('new')])`, "number | 'new'"];
  const named = NAMED_SCHEMAS[entry.schema];
  if (named.vocab) ctx.typeOnly.add(named.vocab);
  ctx.schemas.add(entry.schema);
  return [entry.schema, named.type];
}

/** The properties object and the object type of a struct's entries. */
function objectOf(struct, ctx) {
  const props = [];
  const types = [];
  for (const entry of ctx.shapes[struct]) {
    if (!entry.json) continue;
    const [schema, type] = schemaOf(entry, { ...ctx, struct });
    props.push(`${entry.key}: ${entry.optional ? `Type.Optional(${schema})` : schema}`);
    types.push(`${entry.key}${entry.optional ? '?' : ''}: ${type}`);
  }
  return [`{ ${props.join(', ')} }`, `{ ${types.join('; ')} }`];
}

/** op-fields.generated.ts: `vocabOf(tag)` names the vocab.ts list of an enum tag. */
export function opFieldsModule({ shapes, enums, constants, layout, vocabOf }) {
  const ops = opStructs(enums);
  const used = new Set();
  const schemas = new Set(['Name']);
  const typeOnly = new Set();
  const ctx = {
    shapes,
    layout,
    constants,
    schemas,
    typeOnly,
    vocab: (tag, list = vocabOf(tag)) => {
      used.add(list);
      return list;
    },
  };
  const objects = ops.map(([name, struct]) => [name, ...objectOf(struct, ctx)]);
  if (used.size > 0) schemas.add('OneOf');
  const lines = [
    '// Generated by packages/core/scripts/gen-abi.mjs from the json: comments of packages/core/native/include/',
    "// ioasid_lab.h: do not edit. Each op's JSON fields (without `op`) as TypeBox properties, and its shape",
    '// as a type; schemas/ops.ts builds the REST bodies and the batch op schema from them.',
    "import { Type } from 'typebox';",
    "import type { U64Input } from '../types.ts';",
    `import { ${[...used, ...[...typeOnly].filter((name) => !used.has(name)).map((name) => `type ${name}`)]
      .sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', '')))
      .join(', ')} } from '../vocab.ts';`,
    `import { ${[...schemas].sort().join(', ')} } from './common.ts';`,
    '',
    'const closed = { additionalProperties: false } as const;',
    '',
    "/** Each op's fields by op name, in the order of the header's json: comments. */",
    'export const OP_FIELDS = {',
    ...objects.map(([name, schema]) => `  '${name}': ${schema},`),
    '};',
    '',
    '/** Each op as Lab.apply accepts it, by op name. */',
    'export interface OpShapes {',
    ...objects.map(([name, , type]) => `  '${name}': { op: '${name}'; ${type.slice(2)};`),
    '}',
    '',
  ];
  return lines.join('\n');
}
