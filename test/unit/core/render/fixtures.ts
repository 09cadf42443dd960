/** Test support: the real trajectory fixtures under /work/shared, parsed with the app's own adapters. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTrajectoryText, type Trajectory } from '../../../../src/core/trajectory';

export const FIXTURES_ROOT = path.resolve(__dirname, '../../../../../shared/fixtures/trajectories');

export const TAU2_FILE = 'tau2_bench/airline_grok-3_4tasks_x4trials.json';

/** Every trajectory of a fixture file (path relative to the fixtures root); a parse error fails the test. */
export function loadFixture(relativePath: string): Trajectory[] {
  return parseText(relativePath, readFileSync(path.join(FIXTURES_ROOT, relativePath), 'utf8'));
}

/** Parses an inline file; a parse error fails the test. */
export function parseText(fileName: string, text: string): Trajectory[] {
  const { trajectories, errors } = parseTrajectoryText(fileName, text);
  if (errors.length > 0) throw new Error(errors.map((error) => error.message).join('\n'));
  return trajectories;
}

export function trajectoryById(trajectories: readonly Trajectory[], id: string): Trajectory {
  const found = trajectories.find((trajectory) => trajectory.id === id);
  if (!found) throw new Error(`no trajectory ${id} among ${trajectories.map((t) => t.id).join(', ')}`);
  return found;
}
