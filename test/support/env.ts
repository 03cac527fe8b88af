/** Where the test suite finds the machine's real services; override with these variables. */
export const TEST_POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniqueSuffix(): string {
  return `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A fixed key for suites on PostgreSQL, where ENCRYPTION_KEY is required. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
