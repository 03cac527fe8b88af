import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../domain/sealed-secret';
import type { TlsSettings } from '../../domain/tls';

export type ClusterStatus = 'unknown' | 'healthy' | 'degraded' | 'down';

/** An Alertmanager cluster AlertAgent receives alerts from and keeps configured. */
@Entity({ tableName: 'cluster' })
export class ClusterEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** Also the path of its webhook (`/api/v1/alerts/alertmanager/<name>`) and the `cluster` label of its alerts. */
  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'json' })
  labels: Record<string, string> = {};

  /** Base URLs of the Alertmanager replicas, e.g. http://am-0:9093. */
  @Property({ type: 'json' })
  alertmanagerUrls: string[] = [];

  @Property({ type: 'json' })
  prometheusUrls: string[] = [];

  /** How often the sidecar asks for a new config. */
  @Property({ type: 'integer' })
  syncIntervalSeconds: number = 30;

  /**
   * The user's part of alertmanager.yml (global, templates, receivers, route defaults …); AlertAgent
   * adds its own. Sealed (it holds passwords and API keys); `configTemplate` is the clear text of
   * rows written before templates were sealed, empty otherwise.
   */
  @Property({ type: 'json', nullable: true })
  configTemplateSealed?: SealedSecret | null;

  @Property({ type: 'text' })
  configTemplate: string = '';

  /** YAML list of routes placed under the root route, before AlertAgent's catch-all. */
  @Property({ type: 'text' })
  routes: string = '';

  /** YAML list of inhibit rules. */
  @Property({ type: 'text' })
  inhibitRules: string = '';

  /** The Alertmanager webhook's credential: a hash to check it, sealed to write it into the rendered config. */
  @Property({ type: 'string', length: 64 })
  webhookTokenHash!: string;

  @Property({ type: 'json' })
  webhookTokenSealed!: SealedSecret;

  /** The sidecar's credential (hash only: nothing needs it back). */
  @Property({ type: 'string', length: 64 })
  sidecarTokenHash!: string;

  /** TLS for calls to its Alertmanagers (CA, client certificate, lowest version, skip verification). */
  @Property({ type: 'json', nullable: true })
  tls?: TlsSettings | null;

  /** The client certificate's key, sealed. */
  @Property({ type: 'json', nullable: true })
  tlsKeySealed?: SealedSecret | null;

  @Property({ type: 'string', length: 16 })
  status: ClusterStatus = 'unknown';

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
