import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_security } from './Migration20261125000000_security';
import { Migration20261125100000_channels } from './Migration20261125100000_channels';
import { Migration20261125110000_gateway } from './Migration20261125110000_gateway';
import { Migration20261125120000_clusters } from './Migration20261125120000_clusters';
import { Migration20261125130000_rules } from './Migration20261125130000_rules';
import { Migration20261125140000_analysis } from './Migration20261125140000_analysis';
import { Migration20261129000000_webhook_input } from './Migration20261129000000_webhook_input';
import { Migration20261129010000_sealed_secrets } from './Migration20261129010000_sealed_secrets';
import { Migration20261129020000_roles } from './Migration20261129020000_roles';
import { Migration20261129030000_cluster_tls } from './Migration20261129030000_cluster_tls';
import { Migration20261204000000_incidents } from './Migration20261204000000_incidents';
import { Migration20261204010000_inhibition } from './Migration20261204010000_inhibition';
import { Migration20261204020000_maintenance } from './Migration20261204020000_maintenance';
import { Migration20261206000000_gateway_simulation } from './Migration20261206000000_gateway_simulation';
import { Migration20261206010000_route_windows } from './Migration20261206010000_route_windows';
import { Migration20261207000000_maintenance_silences } from './Migration20261207000000_maintenance_silences';
import { Migration20261208000000_flag_overrides } from './Migration20261208000000_flag_overrides';
import { Migration20261208010000_smart_routing } from './Migration20261208010000_smart_routing';
import { Migration20261208020000_ai_maturity } from './Migration20261208020000_ai_maturity';
import { Migration20261208030000_escalation } from './Migration20261208030000_escalation';
import { Migration20261208040000_remediation } from './Migration20261208040000_remediation';

/** Every migration in order. Listed by hand so the compiled server and the tests run the same set. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261125000000_security', class: Migration20261125000000_security },
  { name: 'Migration20261125100000_channels', class: Migration20261125100000_channels },
  { name: 'Migration20261125110000_gateway', class: Migration20261125110000_gateway },
  { name: 'Migration20261125120000_clusters', class: Migration20261125120000_clusters },
  { name: 'Migration20261125130000_rules', class: Migration20261125130000_rules },
  { name: 'Migration20261125140000_analysis', class: Migration20261125140000_analysis },
  { name: 'Migration20261129000000_webhook_input', class: Migration20261129000000_webhook_input },
  { name: 'Migration20261129010000_sealed_secrets', class: Migration20261129010000_sealed_secrets },
  { name: 'Migration20261129020000_roles', class: Migration20261129020000_roles },
  { name: 'Migration20261129030000_cluster_tls', class: Migration20261129030000_cluster_tls },
  { name: 'Migration20261204000000_incidents', class: Migration20261204000000_incidents },
  { name: 'Migration20261204010000_inhibition', class: Migration20261204010000_inhibition },
  { name: 'Migration20261204020000_maintenance', class: Migration20261204020000_maintenance },
  { name: 'Migration20261206000000_gateway_simulation', class: Migration20261206000000_gateway_simulation },
  { name: 'Migration20261206010000_route_windows', class: Migration20261206010000_route_windows },
  { name: 'Migration20261207000000_maintenance_silences', class: Migration20261207000000_maintenance_silences },
  { name: 'Migration20261208000000_flag_overrides', class: Migration20261208000000_flag_overrides },
  { name: 'Migration20261208010000_smart_routing', class: Migration20261208010000_smart_routing },
  { name: 'Migration20261208020000_ai_maturity', class: Migration20261208020000_ai_maturity },
  { name: 'Migration20261208030000_escalation', class: Migration20261208030000_escalation },
  { name: 'Migration20261208040000_remediation', class: Migration20261208040000_remediation },
];
