import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { z } from 'zod';
import { BadUserInputError } from '../../errors';

/**
 * The backup file: gzip of JSON lines. A header (schema version, key fingerprints), then per
 * table a `{"table":…}` line and one `{"row":…}` line per row as PostgreSQL's `row_to_json`
 * wrote it, then an end line with the counts and a SHA-256 of every line before it. A file
 * without that end line, or whose lines do not add up to it, is refused whole.
 */
export const BACKUP_FORMAT = 'alertagent-backup';
export const BACKUP_FORMAT_VERSION = 1;

/** A row line bigger than this is not one we wrote (a receipt holds at most a few MB). */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  createdAt: string;
  appVersion: string;
  storageMode: string;
  /** Executed schema migrations, oldest first: the schema version of the rows. */
  migrations: string[];
  /** The source's encryption keys (id and fingerprint), never the keys. */
  keys: Array<{ id: string; fingerprint: string }>;
}

export interface BackupEnd {
  tables: Record<string, number>;
  rows: number;
  /** Ids of the keys that sealed the secrets in this file. */
  sealedWith: string[];
  sha256: string;
}

export interface VerifiedBackup {
  header: BackupHeader;
  end: BackupEnd;
  bytes: number;
}

const headerShape = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.number().int(),
  createdAt: z.string(),
  appVersion: z.string(),
  storageMode: z.string(),
  migrations: z.array(z.string()).min(1),
  keys: z.array(z.object({ id: z.string(), fingerprint: z.string() })),
});
const endShape = z.object({
  tables: z.record(z.string(), z.number().int().nonnegative()),
  rows: z.number().int().nonnegative(),
  sealedWith: z.array(z.string()),
  sha256: z.string(),
});

/**
 * A sealed secret's key id, in either spelling a row can hold: jsonb prints keys shortest first
 * (`{"iv": …, "kid": …, "tag": …, "data": …}`), json keeps ours (`{"kid":…,"iv":…}`).
 */
const SEALED_KID = /"iv":\s*"[A-Za-z0-9+/=]*",\s*"kid":\s*"([^"\\]{1,200})",\s*"tag":|"kid":"([^"\\]{1,200})","iv":"/g;

/** Ids of the keys that sealed the secrets in one row's JSON. */
export function sealedKeyIds(json: string): string[] {
  return [...json.matchAll(SEALED_KID)].map((match) => (match[1] ?? match[2])!);
}

/** Writes one backup file to `out` (gzip), hashing as it goes. */
export class BackupWriter {
  private readonly gzip: Gzip;
  private readonly hash = createHash('sha256');
  private readonly counts: Record<string, number> = {};
  private readonly kids = new Set<string>();
  private current: string | null = null;
  private rows = 0;
  /** Set when `out` goes away before the end (a download cut off, a full disk): the snapshot must not wait on it. */
  private failure: Error | null = null;

  constructor(private readonly out: Writable) {
    this.gzip = createGzip();
    this.gzip.pipe(out);
    const fail = (err?: Error) => {
      if (!this.out.writableFinished) this.failure ??= err ?? new Error('the backup destination closed before the end');
      this.gzip.emit('drain');
    };
    out.once('error', fail);
    out.once('close', () => fail());
  }

  header(header: Omit<BackupHeader, 'format' | 'formatVersion'>): Promise<void> {
    return this.line(JSON.stringify({ header: { format: BACKUP_FORMAT, formatVersion: BACKUP_FORMAT_VERSION, ...header } }));
  }

  table(name: string): Promise<void> {
    this.current = name;
    this.counts[name] = 0;
    return this.line(JSON.stringify({ table: name }));
  }

  /** One row as the JSON text the database produced (not parsed and printed again). */
  row(json: string): Promise<void> {
    if (this.current === null) throw new Error('a row before its table');
    this.counts[this.current] += 1;
    this.rows += 1;
    for (const kid of sealedKeyIds(json)) this.kids.add(kid);
    return this.line(`{"row":${json}}`);
  }

  /** Writes the end line and waits until everything is flushed to `out`. */
  async finish(): Promise<BackupEnd> {
    if (this.failure) throw this.failure;
    const end: BackupEnd = { tables: this.counts, rows: this.rows, sealedWith: [...this.kids].sort(), sha256: this.hash.digest('hex') };
    this.gzip.end(`${JSON.stringify({ end })}\n`);
    await finished(this.out);
    return end;
  }

  private async line(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    const line = `${text}\n`;
    this.hash.update(line);
    if (!this.gzip.write(line)) await new Promise((resolve) => this.gzip.once('drain', resolve));
    if (this.failure) throw this.failure;
  }
}

function damaged(file: string, why: string): BadUserInputError {
  return BadUserInputError.forField('file', `${file} is not a complete AlertAgent backup: ${why}`);
}

/** The lines of a gzip file, each at most MAX_LINE_BYTES; a damaged or non-gzip file is a clear error. */
async function* lines(file: string): AsyncGenerator<string> {
  const source = createReadStream(file);
  const stream = source.pipe(createGunzip());
  // pipe() does not pass the file's own errors on (a missing file, a directory).
  source.once('error', (err) => stream.destroy(err));
  let pending = '';
  try {
    for await (const chunk of stream) {
      pending += (chunk as Buffer).toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        yield pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
      if (pending.length > MAX_LINE_BYTES) throw damaged(file, `a line longer than ${MAX_LINE_BYTES} bytes`);
    }
  } catch (err) {
    if (err instanceof BadUserInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw BadUserInputError.forField('file', `${file} does not exist`);
    if (code === 'EISDIR' || code === 'EACCES') throw BadUserInputError.forField('file', `${file} cannot be read (${code})`);
    if (code === 'Z_BUF_ERROR') throw damaged(file, 'it ends part-way (truncated)');
    throw damaged(file, `it is not gzip-compressed AlertAgent data (${(err as Error).message})`);
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) yield pending;
}

export type BackupEntry = { line: string } & (
  | { kind: 'header'; header: BackupHeader }
  | { kind: 'table'; name: string }
  | { kind: 'row'; json: string }
  | { kind: 'end'; end: BackupEnd }
);

function parseLine(file: string, line: string, index: number): BackupEntry {
  if (line.startsWith('{"row":') && line.endsWith('}')) return { line, kind: 'row', json: line.slice(7, -1) };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw damaged(file, `line ${index + 1} is not JSON`);
  }
  if (parsed.header && typeof parsed.header === 'object') return { line, kind: 'header', header: parsed.header as BackupHeader };
  if (typeof parsed.table === 'string') return { line, kind: 'table', name: parsed.table };
  if (parsed.end && typeof parsed.end === 'object') return { line, kind: 'end', end: parsed.end as BackupEnd };
  throw damaged(file, `line ${index + 1} is neither a table, a row nor the end`);
}

/** Every entry of a backup file, in order, without checking the whole (see verifyBackup). */
export async function* readBackup(file: string): AsyncGenerator<BackupEntry> {
  let index = 0;
  for await (const line of lines(file)) {
    if (index === 0 && !line.startsWith('{"header":'))
      throw BadUserInputError.forField('file', `${file} is not an AlertAgent backup (it does not start with a backup header)`);
    yield parseLine(file, line, index);
    index += 1;
  }
}

/**
 * Reads a backup file through once and checks it is whole: our header and format version, every
 * line well formed, rows only inside a table, counts and hash matching the end line. Nothing is
 * written anywhere; a restore runs this before it touches the database.
 */
export async function verifyBackup(file: string): Promise<VerifiedBackup> {
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  let header: BackupHeader | null = null;
  let end: BackupEnd | null = null;
  let table: string | null = null;
  for await (const entry of readBackup(file)) {
    if (end) throw damaged(file, 'there is data after its end line');
    if (entry.kind !== 'end') hash.update(`${entry.line}\n`);
    switch (entry.kind) {
      case 'header': {
        if (header) throw damaged(file, 'it has two headers');
        if (entry.header.format !== BACKUP_FORMAT) throw BadUserInputError.forField('file', `${file} is not an AlertAgent backup`);
        if (entry.header.formatVersion !== BACKUP_FORMAT_VERSION) {
          throw BadUserInputError.forField(
            'file',
            `${file} is in backup format ${entry.header.formatVersion}; this release reads format ${BACKUP_FORMAT_VERSION} (restore it with the release that wrote it, or a newer one)`,
          );
        }
        if (!headerShape.safeParse(entry.header).success) throw damaged(file, 'its header is malformed');
        header = entry.header;
        continue;
      }
      case 'table':
        if (entry.name in counts) throw damaged(file, `table ${entry.name} appears twice`);
        counts[entry.name] = 0;
        table = entry.name;
        continue;
      case 'row':
        if (table === null) throw damaged(file, 'a row comes before any table');
        counts[table]! += 1;
        continue;
      case 'end':
        if (!endShape.safeParse(entry.end).success) throw damaged(file, 'its end line is malformed');
        end = entry.end;
    }
  }
  if (!header) throw BadUserInputError.forField('file', `${file} is empty`);
  if (!end) throw damaged(file, 'it has no end line (truncated)');
  if (hash.digest('hex') !== end.sha256) throw damaged(file, 'its contents do not match its checksum (altered or damaged)');
  const declared = JSON.stringify(Object.entries(end.tables ?? {}).sort());
  if (declared !== JSON.stringify(Object.entries(counts).sort())) throw damaged(file, 'its row counts do not match its end line');
  return { header, end, bytes: statSync(file).size };
}
