import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config';

const LOCK_FILE = 'alertagent.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Claims the embedded data directory for this process: PGlite is one process's database, and a
 * second process opening the same files would corrupt them. The claim is a pid file created
 * exclusively; one left by a process that no longer runs is taken over. Answers the release.
 */
export function lockDataDirectory(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (holder(file) === process.pid) unlinkSync(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = holder(file);
      // This process already holds it (a second handle in one process shares the same database).
      if (pid === process.pid) return () => {};
      if (pid !== null && alive(pid)) {
        throw new ConfigError([
          `database.dataDir (env DATA_DIR): the data directory ${dir} is in use by process ${pid}; stop that process first, or give this one another DATA_DIR (or a DATABASE_URL)`,
        ]);
      }
      try {
        unlinkSync(file);
      } catch {
        // another process took the stale claim over first; the next attempt tells
      }
    }
  }
  throw new ConfigError([`database.dataDir (env DATA_DIR): could not claim the data directory ${dir}; another process keeps claiming it`]);
}
