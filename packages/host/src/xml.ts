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
  return new XmlReader(source).read();
}

/** One pass over the source: `pos` moves forward, `stack` holds the open elements. */
class XmlReader {
  pos = 0;
  readonly stack: XmlElement[] = [];
  root: XmlElement | null = null;

  constructor(readonly source: string) {}

  read(): XmlElement {
    const { source } = this;
    if (source.charCodeAt(0) === 0xfeff) this.pos = 1;
    while (this.pos < source.length) {
      const lt = source.indexOf('<', this.pos);
      if (lt === -1) {
        this.addText(this.decode(source.slice(this.pos), this.pos), this.pos);
        this.pos = source.length;
        break;
      }
      if (lt > this.pos) {
        const raw = source.slice(this.pos, lt);
        if (raw.includes(']]>')) this.error("']]>' in text", this.pos + raw.indexOf(']]>'));
        this.addText(this.decode(raw, this.pos), this.pos);
        this.pos = lt;
      }
      this.readMarkup();
    }
    const open = this.stack[this.stack.length - 1];
    if (open) this.error(`<${open.name}> (line ${open.line}) is never closed`, source.length);
    if (!this.root) this.error('no root element', 0);
    return this.root;
  }

  /** The markup at `pos` (which is at a '<'): a comment, CDATA, a processing instruction or a tag. */
  readMarkup(): void {
    const { source, pos } = this;
    if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos + 4);
      if (end === -1) this.error('unclosed comment');
      this.pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos + 9);
      if (end === -1) this.error('unclosed CDATA section');
      if (!this.stack.length) this.error('CDATA outside the root element');
      this.addText(source.slice(pos + 9, end), pos);
      this.pos = end + 3;
    } else if (source.startsWith('<?', pos)) {
      const declaration = /^<\?xml(\s|\?>)/.test(source.slice(pos, pos + 7));
      if (declaration && pos !== (source.charCodeAt(0) === 0xfeff ? 1 : 0))
        this.error('XML declaration not at the start');
      const end = source.indexOf('?>', pos + 2);
      if (end === -1) this.error('unclosed processing instruction');
      this.pos = end + 2;
    } else if (source.startsWith('<!', pos)) {
      this.error('DOCTYPE and other declarations are not accepted');
    } else if (source.startsWith('</', pos)) {
      this.readClosingTag();
    } else {
      this.readOpeningTag();
    }
  }

  readClosingTag(): void {
    const at = this.pos;
    this.pos += 2;
    const name = this.readName();
    this.skipSpace();
    if (this.source[this.pos] !== '>') this.error(`expected '>' to close </${name}`);
    this.pos++;
    const open = this.stack.pop();
    if (!open) this.error(`closing tag </${name}> without an open element`, at);
    if (open.name !== name) this.error(`</${name}> closes <${open.name}> (opened on line ${open.line})`, at);
  }

  /** A start tag or an empty-element tag; the element joins its parent, or becomes the root. */
  readOpeningTag(): void {
    const at = this.pos;
    this.pos++;
    const name = this.readName();
    const element: XmlElement = { name, attributes: {}, children: [], text: '', line: this.where(at).line };
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      if (this.source.startsWith('/>', this.pos)) {
        this.pos += 2;
        break;
      }
      if (this.source[this.pos] === '>') {
        this.pos++;
        this.stack.push(element);
        break;
      }
      if (this.pos >= this.source.length) this.error(`unclosed tag <${name}`, at);
      if (this.pos === before) this.error(`expected whitespace before an attribute in <${name}>`);
      this.readAttribute(element);
    }
    const { stack } = this;
    const parent = stack[stack.length - (stack[stack.length - 1] === element ? 2 : 1)];
    if (parent) parent.children.push(element);
    else if (this.root) this.error(`a second root element <${name}> (the first was <${this.root.name}>)`, at);
    else this.root = element;
  }

  /** name="value" (or single-quoted) into `element`'s attributes. */
  readAttribute(element: XmlElement): void {
    const { source } = this;
    const { name } = element;
    const attribute = this.readName();
    this.skipSpace();
    if (source[this.pos] !== '=') this.error(`attribute ${attribute} of <${name}> has no value`);
    this.pos++;
    this.skipSpace();
    const quote = source[this.pos];
    if (quote !== '"' && quote !== "'") this.error(`attribute ${attribute} of <${name}> must be quoted`);
    const end = source.indexOf(quote, this.pos + 1);
    if (end === -1) this.error(`unterminated value of attribute ${attribute}`);
    const raw = source.slice(this.pos + 1, end);
    if (raw.includes('<'))
      this.error(`'<' in the value of attribute ${attribute}`, this.pos + 1 + raw.indexOf('<'));
    if (Object.hasOwn(element.attributes, attribute))
      this.error(`attribute ${attribute} repeated in <${name}>`);
    element.attributes[attribute] = this.decode(raw, this.pos + 1);
    this.pos = end + 1;
  }

  where(at = this.pos): { line: number; column: number } {
    let line = 1;
    let column = 1;
    for (let i = 0; i < at && i < this.source.length; i++) {
      if (this.source[i] === '\n') {
        line++;
        column = 1;
      } else column++;
    }
    return { line, column };
  }

  error(message: string, at = this.pos): never {
    const { line, column } = this.where(at);
    throw new XmlError(message, line, column);
  }

  decode(text: string, at: number): string {
    return text.replace(/&([^;\s&<]*);?/g, (match, body: string, offset: number) => {
      if (!match.endsWith(';')) this.error(`'&' must start an entity such as &amp;`, at + offset);
      if (body.startsWith('#x') && /^#x[0-9a-fA-F]+$/.test(body))
        return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
      if (body.startsWith('#') && /^#[0-9]+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
      const value = ENTITIES[body];
      if (value === undefined) this.error(`unknown entity &${body};`, at + offset);
      return value;
    });
  }

  readName(): string {
    const start = this.pos;
    if (!NAME_START.test(this.source[this.pos] ?? '')) this.error('expected a name');
    while (this.pos < this.source.length && NAME_CHAR.test(this.source[this.pos] as string)) this.pos++;
    return this.source.slice(start, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.source.length && /\s/.test(this.source[this.pos] as string)) this.pos++;
  }

  addText(text: string, at: number): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (text.trim()) this.error('text outside the root element', at);
      return;
    }
    top.text += text;
  }
}

/** Children named `name`, in document order. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

export function firstChild(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}
