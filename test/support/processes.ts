import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/<pid>/stat after the command name (field 3 is index 0); null when the process is gone. */
export function statFields(pid: number | string): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
  } catch {
    return null;
  }
}

/** Processes whose parent is `pid` (Linux /proc). */
export function childProcesses(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && statFields(entry)?.[1] === String(pid))
    .map(Number);
}

/** A process and the processes it started, and theirs (the serve process's subscription process). */
export function processTree(pid: number): number[] {
  return [pid, ...childProcesses(pid).flatMap(processTree)];
}

/** A process's command line, arguments separated by spaces; '' when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
