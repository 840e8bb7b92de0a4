// A small, strict XML reader for libvirt domain XML: elements, attributes, text, comments, CDATA, the
// XML declaration and processing instructions. Anything not well-formed is rejected with the line and
// column (mismatched or unclosed tags, unquoted or duplicate attributes, stray '<' or '&', text outside the
// root, more than one root). DOCTYPE is refused: libvirt never writes one and it would let entities in.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
  line: number;
}

export class XmlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`XML does not parse: ${message} at line ${line}, column ${column}`);
    this.name = 'XmlError';
  }
}

const NAME_START = /[A-Za-z_:]/;
const NAME_CHAR = /[A-Za-z0-9_:.-]/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;

  function where(at = pos): { line: number; column: number } {
    let line = 1;
    let column = 1;
    for (let i = 0; i < at && i < source.length; i++) {
      if (source[i] === '\n') {
        line++;
        column = 1;
      } else column++;
    }
    return { line, column };
  }
  function error(message: string, at = pos): never {
    const { line, column } = where(at);
    throw new XmlError(message, line, column);
  }
  function decode(text: string, at: number): string {
    return text.replace(/&([^;\s&<]*);?/g, (match, body: string, offset: number) => {
      if (!match.endsWith(';')) error(`'&' must start an entity such as &amp;`, at + offset);
      if (body.startsWith('#x') && /^#x[0-9a-fA-F]+$/.test(body))
        return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
      if (body.startsWith('#') && /^#[0-9]+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
      const value = ENTITIES[body];
      if (value === undefined) error(`unknown entity &${body};`, at + offset);
      return value;
    });
  }
  function readName(): string {
    const start = pos;
    if (!NAME_START.test(source[pos] ?? '')) error('expected a name');
    while (pos < source.length && NAME_CHAR.test(source[pos] as string)) pos++;
    return source.slice(start, pos);
  }
  function skipSpace(): void {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos++;
  }
  function addText(text: string, at: number): void {
    const top = stack[stack.length - 1];
    if (!top) {
      if (text.trim()) error('text outside the root element', at);
      return;
    }
    top.text += text;
  }

  if (source.charCodeAt(0) === 0xfeff) pos = 1;
  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    if (lt === -1) {
      addText(decode(source.slice(pos), pos), pos);
      pos = source.length;
      break;
    }
    if (lt > pos) {
      const raw = source.slice(pos, lt);
      if (raw.includes(']]>')) error("']]>' in text", pos + raw.indexOf(']]>'));
      addText(decode(raw, pos), pos);
      pos = lt;
    }
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      if (end === -1) error('unclosed comment');
      pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos + 9);
      if (end === -1) error('unclosed CDATA section');
      if (!stack.length) error('CDATA outside the root element');
      addText(source.slice(pos + 9, end), pos);
      pos = end + 3;
    } else if (source.startsWith('<?', pos)) {
      const declaration = /^<\?xml(\s|\?>)/.test(source.slice(pos, pos + 7));
      if (declaration && pos !== (source.charCodeAt(0) === 0xfeff ? 1 : 0))
        error('XML declaration not at the start');
      const end = source.indexOf('?>', pos + 2);
      if (end === -1) error('unclosed processing instruction');
      pos = end + 2;
    } else if (source.startsWith('<!', pos)) {
      error('DOCTYPE and other declarations are not accepted');
    } else if (source.startsWith('</', pos)) {
      const at = pos;
      pos += 2;
      const name = readName();
      skipSpace();
      if (source[pos] !== '>') error(`expected '>' to close </${name}`);
      pos++;
      const open = stack.pop();
      if (!open) error(`closing tag </${name}> without an open element`, at);
      if (open.name !== name) error(`</${name}> closes <${open.name}> (opened on line ${open.line})`, at);
    } else {
      const at = pos;
      pos++;
      const name = readName();
      const element: XmlElement = { name, attributes: {}, children: [], text: '', line: where(at).line };
      for (;;) {
        const before = pos;
        skipSpace();
        if (source.startsWith('/>', pos)) {
          pos += 2;
          break;
        }
        if (source[pos] === '>') {
          pos++;
          stack.push(element);
          break;
        }
        if (pos >= source.length) error(`unclosed tag <${name}`, at);
        if (pos === before) error(`expected whitespace before an attribute in <${name}>`);
        const attribute = readName();
        skipSpace();
        if (source[pos] !== '=') error(`attribute ${attribute} of <${name}> has no value`);
        pos++;
        skipSpace();
        const quote = source[pos];
        if (quote !== '"' && quote !== "'") error(`attribute ${attribute} of <${name}> must be quoted`);
        const end = source.indexOf(quote, pos + 1);
        if (end === -1) error(`unterminated value of attribute ${attribute}`);
        const raw = source.slice(pos + 1, end);
        if (raw.includes('<'))
          error(`'<' in the value of attribute ${attribute}`, pos + 1 + raw.indexOf('<'));
        if (Object.hasOwn(element.attributes, attribute))
          error(`attribute ${attribute} repeated in <${name}>`);
        element.attributes[attribute] = decode(raw, pos + 1);
        pos = end + 1;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === element ? 2 : 1)];
      if (parent) parent.children.push(element);
      else if (root) error(`a second root element <${name}> (the first was <${root.name}>)`, at);
      else root = element;
    }
  }
  const open = stack[stack.length - 1];
  if (open) error(`<${open.name}> (line ${open.line}) is never closed`, source.length);
  if (!root) error('no root element', 0);
  return root;
}

/** Children named `name`, in document order. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

export function firstChild(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}
