import { Migration } from '@mikro-orm/migrations';

/** Replays of recorded receipts through a proposed gateway configuration (simulateGateway). */
export class Migration20261206000000_gateway_simulation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway_simulation" (
      "id" uuid not null,
      "state" varchar(16) not null default 'queued',
      "range_from" timestamptz not null,
      "range_to" timestamptz not null,
      "proposal" jsonb not null,
      "receipts_total" int not null default 0,
      "receipts_done" int not null default 0,
      "cancel_requested" boolean not null default false,
      "result" jsonb null,
      "error" text null,
      "requested_by" varchar(200) not null,
      "created_at" timestamptz not null,
      "started_at" timestamptz null,
      "finished_at" timestamptz null,
      constraint "gateway_simulation_pkey" primary key ("id"));`);
    this.addSql(`create index "gateway_simulation_created_at_index" on "gateway_simulation" ("created_at");`);
    // Receipts of a time range are read in order for replays.
    this.addSql(`create index "alert_receipt_received_at_index" on "alert_receipt" ("received_at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "alert_receipt_received_at_index";`);
    this.addSql(`drop table "gateway_simulation";`);
  }
}
