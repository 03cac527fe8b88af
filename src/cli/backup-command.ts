import { BACKUP_PATH } from '../shared/paths';
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadUserInputError, UpstreamError } from '../errors';
import type { Services } from '../services';
import type { BackupSummary } from '../services/backup/backup.service';
import { verifyBackup } from '../services/backup/backup-file';
import { CLI_PRINCIPAL } from '../services/security/principal';

export interface BackupCommandOptions {
  out: string;
  server?: string;
  tokenFile?: string;
}

type WithServices = <T>(work: (services: Services) => Promise<T>) => Promise<T>;

/**
 * `alertagent backup`: writes beside the target (`<out>.partial`), checks the whole file as a
 * restore would, and only then gives it its name, so a file called `--out` is always complete.
 */
export async function writeBackupFile(
  options: BackupCommandOptions,
  withServices?: WithServices,
): Promise<BackupSummary & { bytes: number }> {
  if (existsSync(options.out))
    throw BadUserInputError.forField('out', `${options.out} exists; choose a new file name (a backup never overwrites one)`);
  const partial = `${options.out}.partial`;
  try {
    if (options.server) await download(options.server, serverToken(options.tokenFile), partial);
    else
      await withServices!(async (services) => {
        const summary = await services.backup.write(createWriteStream(partial, { mode: 0o600 }));
        await services.audit.change({ principal: CLI_PRINCIPAL }, async (record) =>
          record('backup.created', 'system', 'database', { ...summary, via: 'cli' }),
        );
      });
    const { header, end, bytes } = await verifyBackup(partial);
    renameSync(partial, options.out);
    return {
      tables: Object.keys(end.tables).length,
      rows: end.rows,
      migration: header.migrations.at(-1)!,
      sealedWith: end.sealedWith,
      bytes,
    };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

function serverToken(tokenFile: string | undefined): string {
  const token = tokenFile ? readFileSync(tokenFile, 'utf8').trim() : process.env.ALERTAGENT_TOKEN?.trim();
  if (!token)
    throw BadUserInputError.forField('token', '--server needs an API token with backup:read: --token-file <file> or ALERTAGENT_TOKEN');
  return token;
}

async function download(server: string, token: string, file: string): Promise<void> {
  const url = new URL(BACKUP_PATH, server);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new UpstreamError(`cannot reach ${url.origin}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => '');
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { errors?: Array<{ message?: string }> }).errors?.[0]?.message ?? message;
    } catch {
      // not JSON: the text as it is
    }
    throw new UpstreamError(`${url.href} answered ${response.status}: ${message}`);
  }
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(file, { mode: 0o600 }));
}
