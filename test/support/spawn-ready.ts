import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ReadyProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts a process and waits until `readyUrl` answers 2xx; fails with the process's output if it
 * exits first or is not ready in time (then it is killed).
 */
export async function spawnUntilReady(
  name: string,
  command: string,
  args: string[],
  readyUrl: string,
  options: SpawnOptions = {},
  timeoutMs = 30_000,
): Promise<ReadyProcess> {
  const child = spawn(command, args, options);
  let output = '';
  child.stdout?.on('data', (c) => (output += c));
  child.stderr?.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(readyUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output, exited };
}
