import { describe, expect, it } from 'vitest';
import { coordinate, cssClassName, cssColour, escapeHtml, joinMarkup, markup } from '../../../../src/core/report';
import { parseMarkup, textOf, activeContent } from '../../ui/share/images/markup-parser';
import { ALL_PAYLOADS, PAYLOADS } from '../bundle/fixtures';

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('turns every payload into inert text that reads back unchanged', () => {
    for (const payload of Object.values(PAYLOADS)) {
      const escaped = escapeHtml(payload);
      expect(escaped).not.toMatch(/[<>"']/);
      const doc = parseMarkup(`<p title="${escaped}">${escaped}</p>`);
      const p = doc.children[0];
      if (typeof p === 'string') throw new Error('no element');
      const expected = payload.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
      expect(textOf(p)).toBe(expected);
      expect(p.attributes.title).toBe(expected);
      expect(activeContent(doc)).toEqual([]);
    }
  });

  it('replaces characters XML forbids (so SVG still parses) and keeps tab, newline, surrogate pairs', () => {
    expect(escapeHtml('a\u0000b\u0007c\u000Bd\uFFFEe\uD800f')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf');
    expect(escapeHtml('tab\tline\nreturn\r 😀 \uDBFF\uDFFF')).toBe('tab\tline\nreturn\r 😀 \uDBFF\uDFFF');
  });

  it('does not double-unescape: entities in the input stay visible as written', () => {
    expect(escapeHtml('&lt;script&gt;')).toBe('&amp;lt;script&amp;gt;');
  });
});

describe('markup', () => {
  it('escapes interpolations, renders arrays and nested markup, drops null/undefined/false', () => {
    const inner = markup`<b>${'<i>'}</b>`;
    const html = markup`<p data-x="${'"><svg onload=1>'}">${inner}${[1, '<', null]}${undefined}${false}</p>`.html;
    expect(html).toBe('<p data-x="&quot;&gt;&lt;svg onload=1&gt;"><b>&lt;i&gt;</b>1&lt;</p>');
  });

  it('cannot be fooled by an object that looks like markup', () => {
    const fake = { html: '<script>x</script>', toString: () => '<script>x</script>' } as unknown as string;
    expect(markup`${fake}`.html).toBe('&lt;script&gt;x&lt;/script&gt;');
    expect(joinMarkup([ALL_PAYLOADS], ' | ').html).not.toContain('<');
  });
});

describe('CSS and coordinates', () => {
  it('only colours and class names pass', () => {
    expect(cssColour('#2166ac')).toBe('#2166ac');
    expect(cssColour('rgb(103, 0, 31)')).toBe('rgb(103, 0, 31)');
    expect(() => cssColour('url(http://evil/x)')).toThrow();
    expect(() => cssColour('red;background:url(x)')).toThrow();
    expect(cssClassName('adv-n12')).toBe('adv-n12');
    expect(() => cssClassName('a{}</style>')).toThrow();
  });

  it('coordinates are finite and short', () => {
    expect(coordinate(1 / 3)).toBe('0.33');
    expect(coordinate(Number.NaN)).toBe('0');
  });
});
