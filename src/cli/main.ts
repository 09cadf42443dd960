#!/usr/bin/env node
/** `progress-advantage <command> …`: one Node command line on the same core as the app. */

import { terminalSafe } from './terminal';

type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  inspect: { summary: 'read trajectory files and list what they hold', load: () => import('./commands/inspect') },
  score: { summary: 'per-token log-probs of every action step under a policy and a reference model', load: () => import('./commands/score') },
  demo: { summary: 'the embedded demo: `demo verify` checks β·log(π_θ/π_ref) against the exact A*', load: () => import('./commands/demo') },
  eval: { summary: 'compute scores and metrics from per-token log-probs (JSON Lines)', load: () => import('./commands/eval') },
};

function usage(): string {
  const lines = ['usage: progress-advantage <command> [options] FILE…', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `progress-advantage <command> --help` for its options.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command '${terminalSafe(name)}'\n\n${usage()}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${terminalSafe(err instanceof Error ? err.message : String(err))}\n`);
    process.exitCode = 1;
  },
);
