import { Migration } from '@mikro-orm/migrations';

/** TLS per cluster for calls to its Alertmanagers: the options, and the client certificate's key (sealed). */
export class Migration20261129030000_cluster_tls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "cluster" add column "tls" jsonb null, add column "tls_key_sealed" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "cluster" drop column "tls", drop column "tls_key_sealed";`);
  }
}
