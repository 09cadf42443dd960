/**
 * The start every command shares: parse the arguments, answer `--help` with the usage text, and
 * answer a command-line mistake with `NAME: message`, the usage text and exit status 2.
 */
import { printErr, printOut } from './terminal';

/** A command-line mistake: printed with the usage text, exit status 2. */
export class UsageError extends Error {}

/**
 * Runs `parse`; gives the parsed command, or the exit status to return at once: 0 after printing
 * `usage` on standard output for 'help', 2 after printing `name: message` and `usage` on standard
 * error for a UsageError. Any other error is thrown on.
 */
export function parseCommandLine<T>(name: string, usage: string, parse: () => T | 'help'): { command: T } | { exit: number } {
  let command: T | 'help';
  try {
    command = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printErr(`${name}: ${error.message}\n\n${usage}\n`);
    return { exit: 2 };
  }
  if (command === 'help') {
    printOut(`${usage}\n`);
    return { exit: 0 };
  }
  return { command: command as T };
}
