/**
 * Everything the commands print goes through here: text from a file (an id, a task, an error
 * quoting a line) may hold control characters, and printed raw an ESC or CSI sequence would
 * drive the terminal (move the cursor, rewrite earlier lines, set the window title). They are
 * printed as `\u001b`-style escapes, which in JSON output are the same string.
 */

/**
 * C0 controls but tab and line feed, DEL, C1 controls (U+009B is a one-character CSI), the line
 * and paragraph separators and the bidirectional overrides and isolates (they reorder what is shown).
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The text with every control character written as a `\uXXXX` escape (JSON stays JSON with the same value). */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes to standard output, control characters escaped. */
export function printOut(text: string): void {
  process.stdout.write(terminalSafe(text));
}

/** Writes to standard error, control characters escaped. */
export function printErr(text: string): void {
  process.stderr.write(terminalSafe(text));
}
