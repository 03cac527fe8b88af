import { Migration } from '@mikro-orm/migrations';

/**
 * Robot rate limits, pools, failover, SLOs and scheduled probes: a channel's delivery policy;
 * deliveries wait in a per-channel queue ('queued', by priority then age) while the robot is at
 * its limit; an attempt says how many deliveries its message carried and which robot carried it.
 */
export class Migration20261209000000_channel_delivery_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "channel" add column "delivery_policy" jsonb not null default '{}',
      add column "slo_breached_at" timestamptz null,
      add column "probed_at" timestamptz null,
      add column "last_probe" jsonb null;`);
    // The default only fills existing rows; new ones always get their policy from the entity.
    this.addSql(`alter table "channel" alter column "delivery_policy" drop default;`);
    this.addSql(`alter table "delivery" add column "priority" smallint not null default 0, add column "failover_delivery_id" uuid null;`);
    this.addSql(
      `create index "delivery_queued_index" on "delivery" ("channel_id", "priority" desc, "created_at") where "status" = 'queued';`,
    );
    this.addSql(`alter table "delivery_attempt" add column "carried" int not null default 1,
      add column "robot_channel_id" uuid null,
      add column "failover_delivery_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "delivery_attempt" drop column "carried", drop column "robot_channel_id", drop column "failover_delivery_id";`,
    );
    this.addSql(`drop index "delivery_queued_index";`);
    this.addSql(`alter table "delivery" drop column "priority", drop column "failover_delivery_id";`);
    this.addSql(
      `alter table "channel" drop column "delivery_policy", drop column "slo_breached_at", drop column "probed_at", drop column "last_probe";`,
    );
  }
}
