import { stat, statSync, type Stats } from 'node:fs';

function signature(stats: Stats | null): string {
  return stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}` : 'missing';
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * Calls `onChange` when a file's inode, size or modification time changes. Polls with stat,
 * so it also sees editors that save by rename and ConfigMap volumes that swap symlinks; the
 * baseline is taken now, so a change made right after this call is never missed.
 */
export function watchFileChanges(path: string, onChange: () => void, intervalMs = 1_000): () => void {
  let known = signature(statOrNull(path));
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    stat(path, (err, stats) => {
      checking = false;
      const current = signature(err ? null : stats);
      if (current === known) return;
      known = current;
      onChange();
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
