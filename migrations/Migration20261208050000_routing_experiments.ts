import { Migration } from '@mikro-orm/migrations';

/** A/B tests of routes. */
export class Migration20261208050000_routing_experiments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "routing_experiment" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "route_id" uuid not null,
      "variant" jsonb not null,
      "split_percent" int not null,
      "state" varchar(16) not null default 'running',
      "winner" varchar(1) null,
      "started_at" timestamptz not null,
      "ended_at" timestamptz null,
      "updated_at" timestamptz not null,
      constraint "routing_experiment_pkey" primary key ("id"));`);
    this.addSql(`alter table "routing_experiment" add constraint "routing_experiment_name_unique" unique ("name");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "routing_experiment";`);
  }
}
