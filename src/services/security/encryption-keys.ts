import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, type Config } from '../../config';
import type { Logger } from '../../shared/logger';
import { SecretBox, type EncryptionKey } from './secret-box';

export const EMBEDDED_KEY_FILE = 'encryption.key';

function parsePrevious(list: string | undefined): EncryptionKey[] {
  if (!list) return [];
  return list.split(',').map((entry, index) => {
    const [id, value] = entry.trim().split(':');
    const key = Buffer.from(value ?? '', 'base64');
    if (!id || key.length !== 32) {
      throw new ConfigError([`security.previousEncryptionKeys (entry ${index + 1}): expected id:base64 with a 32-byte key`]);
    }
    return { id, key };
  });
}

/**
 * The key that seals secrets. PostgreSQL deployments must supply it (replicas share it); the
 * embedded mode keeps one beside its data, created on first start, so `npm start` needs nothing.
 */
export function loadSecretBox(config: Pick<Config, 'security' | 'database'>, logger: Logger): SecretBox {
  const { encryptionKey, encryptionKeyId, previousEncryptionKeys } = config.security;
  const previous = parsePrevious(previousEncryptionKeys);
  if (encryptionKey) return new SecretBox({ id: encryptionKeyId, key: Buffer.from(encryptionKey, 'base64') }, previous);
  if (config.database.url) {
    throw new ConfigError([
      'security.encryptionKey (env ENCRYPTION_KEY): required when database.url is set, so every replica seals and opens secrets with the same key (create one with `openssl rand -base64 32`)',
    ]);
  }
  mkdirSync(config.database.dataDir, { recursive: true });
  const file = join(config.database.dataDir, EMBEDDED_KEY_FILE);
  if (!existsSync(file)) {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    logger.warn({ file }, 'created an encryption key for channel secrets; back it up with the data directory');
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new ConfigError([`security.encryptionKey: ${file} does not hold a 32-byte base64 key`]);
  return new SecretBox({ id: 'embedded', key }, previous);
}
