import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../../src/cli/terminal';

describe('terminalSafe', () => {
  it('escapes every control character a terminal acts on, and keeps tab, line feed and other text', () => {
    const controls = [
      ...Array.from({ length: 0x20 }, (_, code) => code).filter((code) => code !== 0x09 && code !== 0x0a),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
      0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
    ];
    for (const code of controls) {
      const escaped = terminalSafe(`a${String.fromCharCode(code)}b`);
      expect(escaped).toBe(`a\\u${code.toString(16).padStart(4, '0')}b`);
    }
    const plain = 'tab\there\nnew line: β·(log π_θ − log π_ref) — ρ ≥ 1 … 日本 🙂';
    expect(terminalSafe(plain)).toBe(plain);
  });

  it('leaves JSON meaning the same: the escaped text parses back to the original string', () => {
    const value = { id: 'x\u001b[31m\u009b2J\u202e\u007f', text: 'ok\tand\u0007' };
    const printed = terminalSafe(JSON.stringify(value));
    expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(printed)).toEqual(value);
  });
});
