import { Migration } from '@mikro-orm/migrations';

/** Flag overrides set through the API, and the last recorded value of each flag. */
export class Migration20261208000000_flag_overrides extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "flag_override" (
      "name" varchar(100) not null,
      "enabled" boolean not null,
      "reason" text not null,
      "actor" varchar(200) not null,
      "expires_at" timestamptz null,
      "created_at" timestamptz not null,
      constraint "flag_override_pkey" primary key ("name"));`);
    this.addSql(`create table "flag_state" (
      "name" varchar(100) not null,
      "enabled" boolean not null,
      "source" varchar(20) not null,
      "changed_at" timestamptz not null,
      constraint "flag_state_pkey" primary key ("name"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "flag_state";`);
    this.addSql(`drop table "flag_override";`);
  }
}
