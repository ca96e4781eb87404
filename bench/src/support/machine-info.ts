import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a run came from, for the results file and the README. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1/5/15-minute load averages when the run started: other work on the machine skews numbers. */
  readonly loadAtStart: readonly number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cpus: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAtStart: loadAverage(),
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((n) => Math.round(n * 100) / 100);
}

/** `model name` from /proc/cpuinfo (what `lscpu` shows), else what Node reports. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}
