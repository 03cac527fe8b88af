import { Migration } from '@mikro-orm/migrations';

/**
 * Inhibition releases wait for the target's own resolution (GATEWAY_INHIBITION_RELEASE_WAIT_MS):
 * a held target whose last source stopped carries the time it is due to be sent.
 */
export class Migration20261210000000_inhibition_release_wait extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "inhibited_alert" add column "release_due_at" timestamptz null;`);
    this.addSql(
      `create index "inhibited_alert_release_due_index" on "inhibited_alert" ("release_due_at") where "release_due_at" is not null and "released_at" is null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "inhibited_alert_release_due_index";`);
    this.addSql(`alter table "inhibited_alert" drop column "release_due_at";`);
  }
}
