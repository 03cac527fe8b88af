import { Migration } from '@mikro-orm/migrations';

/**
 * Secrets sealed at rest where they were stored in clear: a cluster's config template and every
 * rendered config version (they hold the webhook token and the template's passwords), and an
 * analysis provider's secret settings (an n8n webhook URL). Rows written before are sealed by
 * `alertagent secrets reseal` (and read as they are until then).
 */
export class Migration20261129010000_sealed_secrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "cluster" add column "config_template_sealed" jsonb null;`);
    this.addSql(`alter table "cluster_config_version" add column "content_sealed" jsonb null;`);
    this.addSql(`alter table "cluster_config_version" alter column "content" drop not null;`);
    this.addSql(`alter table "analysis_provider" add column "secrets" jsonb not null default '{}';`);
    this.addSql(`alter table "analysis_provider" alter column "secrets" drop default;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "analysis_provider" drop column "secrets";`);
    this.addSql(`update "cluster_config_version" set "content" = '' where "content" is null;`);
    this.addSql(`alter table "cluster_config_version" alter column "content" set not null;`);
    this.addSql(`alter table "cluster_config_version" drop column "content_sealed";`);
    this.addSql(`alter table "cluster" drop column "config_template_sealed";`);
  }
}
