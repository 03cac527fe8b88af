import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_security } from './Migration20261125000000_security';

/** Every migration in order. Listed by hand so the compiled server and the tests run the same set. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261125000000_security', class: Migration20261125000000_security },
];
