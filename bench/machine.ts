/** The machine a benchmark ran on, and its theoretical fp32 peak derived from /proc/cpuinfo. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { CHROMIUM_PATH } from '../tools/browser';

export interface MachineDescription {
  /** `nproc`: logical CPUs this process may use. */
  nproc: number;
  cpuModel: string;
  /** Physical cores (distinct physical id / core id pairs in /proc/cpuinfo). */
  physicalCores: number;
  clockMHz: number;
  memoryGiB: number;
  node: string;
  chromium: string;
  /** 1-minute load average when the benchmark started: above 0 means other processes shared the CPUs. */
  loadAverageAtStart: number;
}

export interface CpuPeak {
  gflops: number;
  /** How the peak was derived, in words. */
  method: string;
}

function cpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function field(info: string, name: string): string | null {
  const match = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info);
  return match ? match[1].trim() : null;
}

function physicalCoreCount(info: string): number {
  const cores = new Set<string>();
  for (const block of info.split(/\n\s*\n/)) {
    const physical = field(block, 'physical id');
    const core = field(block, 'core id');
    if (physical !== null && core !== null) cores.add(`${physical}/${core}`);
  }
  return cores.size || availableParallelism();
}

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unavailable';
  }
}

export function describeMachine(): MachineDescription {
  const info = cpuinfo();
  return {
    nproc: availableParallelism(),
    cpuModel: field(info, 'model name') ?? 'unknown',
    physicalCores: Math.min(physicalCoreCount(info), availableParallelism()),
    clockMHz: Number(field(info, 'cpu MHz') ?? 0),
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    chromium: chromiumVersion(),
    loadAverageAtStart: Number(loadavg()[0].toFixed(2)),
  };
}

/**
 * fp32 peak = cores × clock × FLOPs per cycle per core, the last from the vector extensions the
 * flags list: AVX-512 with FMA → 64 (two 16-lane FMA pipes × 2 FLOPs), AVX2 + FMA → 32, AVX → 16,
 * else SSE → 8. The clock is /proc/cpuinfo's current "cpu MHz" (boost clocks can be higher).
 */
export function cpuPeak(machine: MachineDescription): CpuPeak {
  const flags = new Set((field(cpuinfo(), 'flags') ?? '').split(/\s+/));
  const [perCycle, extension] = flags.has('avx512f') && flags.has('fma')
    ? [64, 'AVX-512 + FMA: 64']
    : flags.has('avx2') && flags.has('fma')
      ? [32, 'AVX2 + FMA: 32']
      : flags.has('avx')
        ? [16, 'AVX: 16']
        : [8, 'SSE: 8'];
  const gflops = (machine.physicalCores * machine.clockMHz * perCycle) / 1000;
  return {
    gflops: Number(gflops.toFixed(1)),
    method: `${machine.physicalCores} cores × ${machine.clockMHz} MHz (/proc/cpuinfo "cpu MHz") × ${extension} fp32 FLOPs/cycle/core (from the /proc/cpuinfo flags)`,
  };
}
