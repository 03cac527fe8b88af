import { Migration } from '@mikro-orm/migrations';

/**
 * Correlation policies can hold an incident's resolution (`resolveHoldSeconds`): told only once no
 * alert of it has fired again for that long. Incidents carry the value of the policy that opened them.
 */
export class Migration20261211000000_incident_resolve_hold extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "correlation_policy" add column "resolve_hold_seconds" integer not null default 0;`);
    this.addSql(`alter table "incident" add column "resolve_hold_seconds" integer not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "incident" drop column "resolve_hold_seconds";`);
    this.addSql(`alter table "correlation_policy" drop column "resolve_hold_seconds";`);
  }
}
