import { unwatchFile, watchFile, type Stats } from 'node:fs';

/**
 * Calls `onChange` when a file's modification time or size changes. Polls with stat so it
 * also sees editors that save by rename and ConfigMap volumes that swap symlinks.
 */
export function watchFileChanges(path: string, onChange: () => void, intervalMs = 1_000): () => void {
  const listener = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) onChange();
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
