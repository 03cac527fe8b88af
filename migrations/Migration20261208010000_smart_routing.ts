import { Migration } from '@mikro-orm/migrations';

/** Smart routing: follow-ups on routes, and what an analysis says about category and team. */
export class Migration20261208010000_smart_routing extends Migration {
  override async up(): Promise<void> {
    // Existing routes get none; new rows always name theirs.
    this.addSql(`alter table "gateway_route" add column "follow_ups" jsonb not null default '[]';`);
    this.addSql(`alter table "gateway_route" alter column "follow_ups" drop default;`);
    this.addSql(
      `alter table "alert_analysis" add column "category" varchar(64) null, add column "suggested_team" varchar(100) null, add column "follow_up_channel_ids" jsonb null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_analysis" drop column "category", drop column "suggested_team", drop column "follow_up_channel_ids";`);
    this.addSql(`alter table "gateway_route" drop column "follow_ups";`);
  }
}
