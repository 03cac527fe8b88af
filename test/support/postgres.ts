import { Client } from 'pg';
import { TEST_POSTGRES_ADMIN_URL, uniqueSuffix } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, empty PostgreSQL database of the suite's own, dropped at the end. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `alertagent_test_${uniqueSuffix()}`;
  await withAdmin((client) => client.query(`create database "${name}"`));
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withAdmin((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}
