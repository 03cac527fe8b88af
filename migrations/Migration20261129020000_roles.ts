import { Migration } from '@mikro-orm/migrations';

/**
 * Fine-grained access: roles an admin defines (permissions and scopes), tokens that name any role,
 * and the permission each audited change was made under.
 */
export class Migration20261129020000_roles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "role" (
      "id" uuid not null,
      "name" varchar(64) not null,
      "description" text not null default '',
      "permissions" jsonb not null,
      "channel_groups" jsonb null,
      "cluster_matchers" jsonb null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "role_pkey" primary key ("id"));`);
    this.addSql(`alter table "role" add constraint "role_name_unique" unique ("name");`);
    this.addSql(`alter table "api_token" drop constraint if exists "api_token_role_check";`);
    this.addSql(`alter table "api_token" alter column "role" type varchar(64);`);
    this.addSql(`alter table "audit_event" add column "permission" varchar(100) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "audit_event" drop column "permission";`);
    this.addSql(
      `update "api_token" set "role" = 'viewer', "revoked_at" = coalesce("revoked_at", now()) where "role" not in ('viewer', 'operator', 'admin');`,
    );
    this.addSql(`alter table "api_token" alter column "role" type text;`);
    this.addSql(`alter table "api_token" add constraint "api_token_role_check" check ("role" in ('viewer', 'operator', 'admin'));`);
    this.addSql(`drop table if exists "role" cascade;`);
  }
}
