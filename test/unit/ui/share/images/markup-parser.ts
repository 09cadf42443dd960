/**
 * Test support: a strict little parser for the XML the exports write (and, in `html` mode, the
 * report's HTML: a doctype and void elements allowed). It refuses what a browser would read
 * differently than intended — a raw `<` or `&` in text, an unquoted attribute, unbalanced tags —
 * so a test that finds an element in its tree knows the browser finds the same one.
 */

export interface MarkupElement {
  name: string;
  attributes: Record<string, string>;
  children: MarkupNode[];
}

export type MarkupNode = MarkupElement | string;

const VOID_HTML = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'wbr', 'col', 'area', 'base', 'embed', 'source', 'track']);
/** Elements whose content HTML reads as raw text (no tags, no references). */
const RAW_TEXT_HTML = new Set(['style', 'script']);

function decodeEntities(text: string, where: number): string {
  return text.replace(/&([^;\s]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw new Error(`bare & at ${where}`);
    if (body === 'amp') return '&';
    if (body === 'lt') return '<';
    if (body === 'gt') return '>';
    if (body === 'quot') return '"';
    if (body === 'apos') return "'";
    const numeric = /^#(\d+)$/.exec(body) ?? /^#x([0-9a-fA-F]+)$/.exec(body);
    if (numeric) return String.fromCodePoint(parseInt(numeric[1], body.startsWith('#x') ? 16 : 10));
    throw new Error(`unknown entity &${body}; at ${where}`);
  });
}

export function parseMarkup(source: string, mode: 'xml' | 'html' = 'xml'): MarkupElement {
  let i = 0;
  const root: MarkupElement = { name: '#document', attributes: {}, children: [] };
  const stack: MarkupElement[] = [root];
  const top = () => stack[stack.length - 1];
  while (i < source.length) {
    if (source.startsWith('<?xml', i)) {
      if (mode !== 'xml' || i !== 0) throw new Error(`XML declaration at ${i}`);
      i = source.indexOf('?>', i) + 2;
      continue;
    }
    if (mode === 'html' && /^<!doctype html>/i.test(source.slice(i, i + 15))) {
      i += 15;
      continue;
    }
    if (source.startsWith('</', i)) {
      const end = source.indexOf('>', i);
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> at ${i} closes <${open?.name}>`);
      i = end + 1;
      continue;
    }
    if (source[i] === '<') {
      const match = /^<([A-Za-z][\w:-]*)/.exec(source.slice(i));
      if (!match) throw new Error(`stray < at ${i}: ${JSON.stringify(source.slice(i, i + 30))}`);
      const element: MarkupElement = { name: match[1], attributes: {}, children: [] };
      i += match[0].length;
      for (;;) {
        const space = /^\s*/.exec(source.slice(i))![0].length;
        i += space;
        if (source.startsWith('/>', i)) {
          i += 2;
          top().children.push(element);
          break;
        }
        if (source[i] === '>') {
          i++;
          top().children.push(element);
          if (mode === 'html' && VOID_HTML.has(element.name.toLowerCase())) break;
          if (mode === 'html' && RAW_TEXT_HTML.has(element.name.toLowerCase())) {
            const close = source.indexOf(`</${element.name}`, i);
            element.children.push(source.slice(i, close));
            i = close;
          }
          stack.push(element);
          break;
        }
        if (space === 0) throw new Error(`attribute without a space before it at ${i}`);
        const attribute = /^([A-Za-z_:][\w:.-]*)="([^"<]*)"/.exec(source.slice(i));
        if (!attribute) throw new Error(`malformed attribute at ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
        if (attribute[1] in element.attributes) throw new Error(`repeated attribute ${attribute[1]} at ${i}`);
        element.attributes[attribute[1]] = decodeEntities(attribute[2], i);
        i += attribute[0].length;
      }
      continue;
    }
    const next = source.indexOf('<', i);
    const text = source.slice(i, next < 0 ? source.length : next);
    if (text.includes('>') && mode === 'xml') throw new Error(`raw > in text at ${i}`);
    top().children.push(decodeEntities(text, i));
    i = next < 0 ? source.length : next;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${top().name}>`);
  return root;
}

export function* elements(node: MarkupElement): Generator<MarkupElement> {
  for (const child of node.children) {
    if (typeof child === 'string') continue;
    yield child;
    yield* elements(child);
  }
}

export function find(node: MarkupElement, predicate: (e: MarkupElement) => boolean): MarkupElement[] {
  return [...elements(node)].filter(predicate);
}

export function byPart(node: MarkupElement, part: string): MarkupElement[] {
  return find(node, (e) => e.attributes['data-part'] === part);
}

export function textOf(node: MarkupNode): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

/** What a browser would run or load from the document: script elements, event handlers, javascript: URLs, external references. */
export function activeContent(root: MarkupElement): string[] {
  const found: string[] = [];
  for (const e of elements(root)) {
    const name = e.name.toLowerCase();
    if (['script', 'iframe', 'object', 'embed', 'img', 'image', 'foreignobject', 'link', 'use', 'a'].includes(name) && !(name === 'a' && /^#t-\d+$/.test(e.attributes.href ?? ''))) {
      found.push(`<${e.name}>`);
    }
    for (const [attribute, value] of Object.entries(e.attributes)) {
      if (/^on/i.test(attribute)) found.push(`${e.name}[${attribute}]`);
      if (/^(href|src|xlink:href|action|formaction)$/i.test(attribute) && !/^#/.test(value)) found.push(`${e.name}[${attribute}=${value}]`);
      if (/url\(/i.test(value)) found.push(`${e.name}[${attribute}] url()`);
    }
  }
  return found;
}
