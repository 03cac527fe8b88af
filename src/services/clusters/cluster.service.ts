import type { ClusterRepository } from './cluster.repository';
import { clusterWebhookPath } from '../../shared/paths';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { httpBaseUrl } from '../../config';
import { ClusterConfigVersionEntity } from '../../entities/clusters/cluster-config-version.entity';
import { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { SyncStatusEntity } from '../../entities/clusters/sync-status.entity';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, parseInput, UnauthenticatedError } from '../../errors';
import type { EgressPolicy } from '../security/egress-policy';
import type { TlsOptions } from '../../shared/http-post';
import { CERTIFICATE_NEEDS_KEY, skipsVerification, tlsKeySchema, tlsOf, tlsSchema, type TlsSettings } from '../shared/tls-options';
import type { Principal } from '../security/principal';
import { clusterInScope } from '../security/scopes';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService, RecordAudit } from '../security/audit.service';
import type { PageRequest } from '../../domain/page';
import type { SecretBox } from '../security/secret-box';
import { generateApiToken, hashApiToken, sameHash, SIDECAR_TOKEN_PREFIX, WEBHOOK_TOKEN_PREFIX } from '../security/token-secret';
import { renderAlertmanagerConfig } from './alertmanager-config';
import { maskConfigSecrets, restoreMaskedSecrets } from './config-secrets';
import { LABEL_NAME } from '../../shared/prometheus-syntax';
import type { RuleService } from '../rules/rule.service';
import type { PublicUrl } from '../shared/public-url';

/** Where Alertmanager posts a cluster's alerts; the gateway serves it. */

const YAML_MAX = 256 * 1024;
const NAMES_TTL_MS = 5_000;

// What each sealed value is bound to: a sealed value moved to another row does not open.
const templateContext = (clusterId: string) => `cluster:${clusterId}:configTemplate`;
const webhookTokenContext = (clusterId: string) => `cluster:${clusterId}:webhookToken`;
const versionContext = (clusterId: string, version: number) => `cluster:${clusterId}:config-version:${version}`;
const tlsKeyContext = (clusterId: string) => `cluster:${clusterId}:tlsKey`;

const fields = {
  name: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'cluster names are 1 to 100 letters, digits and _ . -'),
  labels: z
    .record(z.string().regex(LABEL_NAME, 'label names are letters, digits and _, not starting with a digit'), z.string().max(200))
    .refine((l) => Object.keys(l).length <= 30, 'at most 30 labels'),
  alertmanagerUrls: z
    .array(httpBaseUrl)
    .min(1, 'a cluster needs at least one Alertmanager URL')
    .max(10, 'at most 10 replicas')
    .refine((urls) => new Set(urls).size === urls.length, 'a URL is listed twice'),
  prometheusUrls: z.array(httpBaseUrl).max(20, 'at most 20 Prometheus URLs'),
  syncIntervalSeconds: z.number().int().min(1, 'at least 1 second').max(3600, 'at most 3600 seconds'),
  configTemplate: z.string().max(YAML_MAX, 'at most 256 KiB'),
  routes: z.string().max(YAML_MAX, 'at most 256 KiB'),
  inhibitRules: z.string().max(YAML_MAX, 'at most 256 KiB'),
  tls: tlsSchema.nullable(),
  tlsKey: tlsKeySchema.nullable(),
};

const createInput = z.strictObject({
  name: fields.name,
  labels: fields.labels.default({}),
  alertmanagerUrls: fields.alertmanagerUrls,
  prometheusUrls: fields.prometheusUrls.default([]),
  syncIntervalSeconds: fields.syncIntervalSeconds.default(30),
  configTemplate: fields.configTemplate.default(''),
  routes: fields.routes.default(''),
  inhibitRules: fields.inhibitRules.default(''),
  tls: fields.tls.optional(),
  tlsKey: fields.tlsKey.optional(),
});
const updateInput = z.strictObject(
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]>;
  },
);

export type ClusterCreateInput = z.input<typeof createInput>;
export type ClusterUpdateInput = z.input<typeof updateInput>;

export interface ClusterCredentials {
  /** For Alertmanager's webhook (already written into the rendered config). Shown once. */
  webhookToken: string;
  /** For the cluster's sidecars (`--token`). Shown once. */
  sidecarToken: string;
}

/** A rendered config version with its file opened (the entity keeps it sealed). */
export interface ConfigVersionView {
  id: string;
  version: number;
  hash: string;
  content: string;
  author: string;
  createdAt: Date;
}

export interface SyncReport {
  instance: string;
  kind: 'alertmanager' | 'prometheus';
  appliedHash: string | null;
  ok: boolean;
  error: string | null;
}

export interface ClusterServiceDeps {
  repository: ClusterRepository;
  secrets: SecretBox;
  audit: AuditService;
  events: EventBus;
  publicUrl: PublicUrl;
  rules: RuleService;
  egress: Pick<EgressPolicy, 'assertUrl'>;
}

/**
 * The cluster registry: CRUD, credentials, and the rendered alertmanager.yml of each cluster.
 * Every change that alters the rendered file stores a new version; a change that would render a
 * file Alertmanager refuses is refused itself, so sidecars only ever see loadable configs.
 */
export class ClusterService {
  private names: { value: Array<Pick<ClusterEntity, 'id' | 'name' | 'labels'>>; until: number } | null = null;

  constructor(private readonly deps: ClusterServiceDeps) {}

  /** Clusters, by name; with a reader, those in its cluster scope. */
  async list(reader: Principal | null = null): Promise<ClusterEntity[]> {
    const clusters = await this.deps.repository.all();
    return reader ? clusters.filter((c) => clusterInScope(reader.grant, c)) : clusters;
  }

  /** One cluster; a reader (when given) must have it in its cluster scope. */
  async get(id: string, reader: Principal | null = null): Promise<ClusterEntity> {
    const cluster = NotFoundError.assert(await this.deps.repository.findById(id), 'cluster', id);
    this.assertInScope(reader, cluster);
    return cluster;
  }

  /** The names of every registered cluster, read at most every few seconds (the webhook asks on every request). */
  async registeredNames(): Promise<ReadonlySet<string>> {
    return new Set((await this.registry()).map((c) => c.name));
  }

  /** Names of the clusters a reader's scope covers; null when it covers every cluster. */
  async namesInScope(reader: Principal | null): Promise<ReadonlySet<string> | null> {
    if (!reader || reader.grant.scopes.clusters === null) return null;
    return new Set((await this.registry()).filter((c) => clusterInScope(reader.grant, c)).map((c) => c.name));
  }

  /** Throws FORBIDDEN when a cluster lies outside the caller's cluster scope. */
  assertInScope(principal: Principal | null, cluster: Pick<ClusterEntity, 'name' | 'labels'>): void {
    if (principal && !clusterInScope(principal.grant, cluster))
      throw new ForbiddenError(`cluster ${cluster.name} is outside the clusters of the role ${principal.role}`);
  }

  private async registry(): Promise<Array<Pick<ClusterEntity, 'id' | 'name' | 'labels'>>> {
    if (this.names && this.names.until > Date.now()) return this.names.value;
    this.names = { value: await this.deps.repository.names(), until: Date.now() + NAMES_TTL_MS };
    return this.names.value;
  }

  findByName(name: string): Promise<ClusterEntity | null> {
    return this.deps.repository.findByName(name);
  }

  webhookUrl(cluster: Pick<ClusterEntity, 'name'>): string {
    return `${this.deps.publicUrl.get()}${clusterWebhookPath(cluster.name)}`;
  }

  async create(input: ClusterCreateInput, actor: Actor): Promise<{ cluster: ClusterEntity; credentials: ClusterCredentials }> {
    const { configTemplate, tls, tlsKey, ...parsed } = parseInput(createInput, input, 'input');
    const cluster = Object.assign(new ClusterEntity(), parsed);
    this.assertInScope(actor.principal, cluster);
    this.assertReachable(cluster);
    this.applyTls(cluster, tls, tlsKey);
    this.sealTemplate(cluster, configTemplate);
    await this.refuseRuleConflicts(cluster);
    const credentials = this.issueCredentials(cluster);
    const rendered = this.render(cluster);
    await this.saving(cluster.name, () =>
      this.deps.audit.change(actor, async (record) => {
        this.deps.repository.add(cluster);
        this.names = null;
        await this.addVersion(cluster, rendered, actor, record);
        record('cluster.created', 'cluster', cluster.id, { name: cluster.name, alertmanagerUrls: cluster.alertmanagerUrls });
        if (skipsVerification(cluster.tls)) record('tls.verification-disabled', 'cluster', cluster.id, { name: cluster.name });
      }),
    );
    return { cluster, credentials };
  }

  async update(id: string, input: ClusterUpdateInput, actor: Actor): Promise<ClusterEntity> {
    const { configTemplate, tls, tlsKey, ...parsed } = parseInput(updateInput, input, 'input');
    const cluster = await this.get(id, actor.principal);
    const changed = Object.keys(parsed).filter((k) => (parsed as Record<string, unknown>)[k] !== undefined);
    Object.assign(cluster, Object.fromEntries(changed.map((k) => [k, (parsed as Record<string, unknown>)[k]])));
    this.assertReachable(cluster);
    if (tls !== undefined || tlsKey !== undefined) {
      this.applyTls(cluster, tls, tlsKey);
      changed.push('tls');
    }
    if (configTemplate !== undefined) {
      // A template read back masked keeps the secrets stored at the places still masked.
      this.sealTemplate(cluster, restoreMaskedSecrets(configTemplate, this.templateOf(cluster), 'input.configTemplate'));
      changed.push('configTemplate');
    }
    cluster.updatedAt = new Date();
    // Relabelled or renamed, it must stay inside the scope it was changed under.
    this.assertInScope(actor.principal, cluster);
    this.names = null;
    const rendered = this.render(cluster);
    if (changed.includes('labels') || changed.includes('name')) await this.refuseRuleConflicts(cluster);
    await this.saving(cluster.name, () =>
      this.deps.audit.change(actor, async (record) => {
        await this.addVersion(cluster, rendered, actor, record);
        record('cluster.updated', 'cluster', cluster.id, { name: cluster.name, fields: changed });
        if (changed.includes('tls') && skipsVerification(cluster.tls))
          record('tls.verification-disabled', 'cluster', cluster.id, { name: cluster.name });
      }),
    );
    return cluster;
  }

  /** New webhook and sidecar tokens; the old ones stop working at once, and the config is re-rendered with the new webhook token. */
  async rotateCredentials(id: string, actor: Actor): Promise<{ cluster: ClusterEntity; credentials: ClusterCredentials }> {
    const cluster = await this.get(id, actor.principal);
    const credentials = this.issueCredentials(cluster);
    cluster.updatedAt = new Date();
    const rendered = this.render(cluster);
    await this.deps.audit.change(actor, async (record) => {
      await this.addVersion(cluster, rendered, actor, record);
      record('cluster.credentials-rotated', 'cluster', cluster.id, { name: cluster.name });
    });
    return { cluster, credentials };
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const cluster = await this.get(id, actor.principal);
    await this.deps.audit.change(actor, async (record) => {
      await this.deps.repository.removeWithHistory(cluster);
      this.names = null;
      record('cluster.deleted', 'cluster', id, { name: cluster.name });
    });
  }

  /** The config sidecars should apply: the newest version. */
  async desiredConfig(clusterId: string): Promise<ConfigVersionView> {
    const latest = await this.deps.repository.latestVersion(clusterId);
    return this.versionView(NotFoundError.assert(latest, 'config of cluster', clusterId));
  }

  async versions(clusterId: string, page: PageRequest): Promise<{ items: ConfigVersionView[]; total: number }> {
    await this.get(clusterId);
    const { items, total } = await this.deps.repository.versionPage(clusterId, page);
    return { items: items.map((v) => this.versionView(v)), total };
  }

  /** What calls to the cluster's Alertmanagers use for TLS, the key opened. */
  tlsOf(cluster: ClusterEntity): TlsOptions | undefined {
    const tlsKey = cluster.tlsKeySealed ? this.deps.secrets.open(cluster.tlsKeySealed, tlsKeyContext(cluster.id)) : undefined;
    return tlsOf({ tls: cluster.tls ?? undefined, tlsKey });
  }

  /** The user's part of alertmanager.yml as readers see it: secrets masked (sent back masked, the stored value stays). */
  async maskedTemplate(clusterId: string): Promise<string> {
    return maskConfigSecrets(this.templateOf(await this.get(clusterId)));
  }

  /** The user's part of the cluster's config, opened. */
  templateOf(cluster: ClusterEntity): string {
    return cluster.configTemplateSealed
      ? this.deps.secrets.open(cluster.configTemplateSealed, templateContext(cluster.id))
      : cluster.configTemplate;
  }

  /** Seals what is still stored in clear (rows written before sealing) and seals everything again with the current key. */
  async resealAll(): Promise<{ clusters: number; versions: number }> {
    const clusters = await this.deps.repository.all();
    for (const cluster of clusters) {
      this.sealTemplate(cluster, this.templateOf(cluster));
      cluster.webhookTokenSealed = this.deps.secrets.seal(
        this.deps.secrets.open(cluster.webhookTokenSealed, webhookTokenContext(cluster.id)),
        webhookTokenContext(cluster.id),
      );
      if (cluster.tlsKeySealed)
        cluster.tlsKeySealed = this.deps.secrets.seal(
          this.deps.secrets.open(cluster.tlsKeySealed, tlsKeyContext(cluster.id)),
          tlsKeyContext(cluster.id),
        );
    }
    const versions = await this.deps.repository.allVersions();
    for (const version of versions) {
      const content = this.versionView(version).content;
      version.contentSealed = this.deps.secrets.seal(content, versionContext(version.clusterId, version.version));
      version.content = null;
    }
    await this.deps.repository.flush();
    return { clusters: clusters.length, versions: versions.length };
  }

  /** The cluster a sidecar speaks for, when its token is that cluster's sidecar token. */
  async authenticateSidecar(clusterName: string, token: string | undefined): Promise<ClusterEntity> {
    return this.authenticate(clusterName, token, 'sidecarTokenHash', 'sidecar');
  }

  /** The cluster whose Alertmanager sent a webhook, when the token is that cluster's webhook token. */
  async authenticateWebhook(clusterName: string, token: string | undefined): Promise<ClusterEntity> {
    return this.authenticate(clusterName, token, 'webhookTokenHash', 'webhook');
  }

  /** Stores a sidecar's report; `desiredHash` is what that kind of sidecar should run now. */
  async recordSync(cluster: ClusterEntity, report: SyncReport, desiredHash: string, now = new Date()): Promise<SyncStatusEntity> {
    const status =
      (await this.deps.repository.findSync(cluster.id, report.instance)) ??
      Object.assign(new SyncStatusEntity(), { clusterId: cluster.id, instance: report.instance });
    status.kind = report.kind;
    status.reportedAt = now;
    if (report.appliedHash !== null) status.appliedHash = report.appliedHash;
    if (report.ok) status.lastSuccessAt = now;
    else Object.assign(status, { lastError: report.error ?? 'unknown error', lastErrorAt: now });
    await this.deps.repository.saveSync(status);
    await this.deps.events.publish('cluster.sync', {
      clusterId: cluster.id,
      clusterName: cluster.name,
      instance: status.instance,
      kind: report.kind,
      desiredHash,
      appliedHash: status.appliedHash ?? null,
      ok: report.ok,
      error: report.ok ? null : (status.lastError ?? null),
      at: now.toISOString(),
    });
    return status;
  }

  syncStatuses(clusterId: string, kind: SyncReport['kind']): Promise<SyncStatusEntity[]> {
    return this.deps.repository.syncStatuses(clusterId, kind);
  }

  private async authenticate(
    clusterName: string,
    token: string | undefined,
    field: 'sidecarTokenHash' | 'webhookTokenHash',
    what: string,
  ): Promise<ClusterEntity> {
    if (!token) throw new UnauthenticatedError(`the ${what} needs the cluster's ${what} token as a bearer token`);
    const cluster = await this.findByName(clusterName);
    // One answer for an unknown cluster and a wrong token: a caller learns nothing about which clusters exist.
    if (!cluster || !sameHash(hashApiToken(token), cluster[field]))
      throw new UnauthenticatedError(`not a ${what} token of cluster ${clusterName}`);
    return cluster;
  }

  private issueCredentials(cluster: ClusterEntity): ClusterCredentials {
    const webhookToken = generateApiToken(WEBHOOK_TOKEN_PREFIX);
    const sidecarToken = generateApiToken(SIDECAR_TOKEN_PREFIX);
    cluster.webhookTokenHash = hashApiToken(webhookToken);
    cluster.webhookTokenSealed = this.deps.secrets.seal(webhookToken, webhookTokenContext(cluster.id));
    cluster.sidecarTokenHash = hashApiToken(sidecarToken);
    return { webhookToken, sidecarToken };
  }

  /** TLS settings as given: `tls` replaces the options, `tlsKey` the key; null clears, undefined keeps. */
  private applyTls(cluster: ClusterEntity, tls: TlsSettings | null | undefined, tlsKey: string | null | undefined): void {
    if (tls !== undefined) cluster.tls = tls;
    if (tlsKey !== undefined) cluster.tlsKeySealed = tlsKey === null ? null : this.deps.secrets.seal(tlsKey, tlsKeyContext(cluster.id));
    if (Boolean(cluster.tls?.certPem) !== Boolean(cluster.tlsKeySealed))
      throw BadUserInputError.forField('input.tlsKey', CERTIFICATE_NEEDS_KEY.message);
  }

  /** Refuses Alertmanager and Prometheus URLs the egress policy would never let a call reach. */
  private assertReachable(cluster: ClusterEntity): void {
    cluster.alertmanagerUrls.forEach((url, i) => this.deps.egress.assertUrl(url, `input.alertmanagerUrls.${i}`));
    cluster.prometheusUrls.forEach((url, i) => this.deps.egress.assertUrl(url, `input.prometheusUrls.${i}`));
  }

  private sealTemplate(cluster: ClusterEntity, template: string): void {
    cluster.configTemplateSealed = this.deps.secrets.seal(template, templateContext(cluster.id));
    cluster.configTemplate = '';
  }

  private versionView(version: ClusterConfigVersionEntity): ConfigVersionView {
    const content = version.contentSealed
      ? this.deps.secrets.open(version.contentSealed, versionContext(version.clusterId, version.version))
      : (version.content ?? '');
    return { id: version.id, version: version.version, hash: version.hash, content, author: version.author, createdAt: version.createdAt };
  }

  private render(cluster: ClusterEntity) {
    return renderAlertmanagerConfig({
      clusterName: cluster.name,
      configTemplate: this.templateOf(cluster),
      routes: cluster.routes,
      inhibitRules: cluster.inhibitRules,
      webhookUrl: this.webhookUrl(cluster),
      webhookToken: this.deps.secrets.open(cluster.webhookTokenSealed, webhookTokenContext(cluster.id)),
    });
  }

  /** Stores the rendered file as the next version unless it equals the newest one. */
  private async addVersion(
    cluster: ClusterEntity,
    rendered: { content: string; hash: string },
    actor: Actor,
    record: RecordAudit,
  ): Promise<void> {
    const latest = await this.deps.repository.latestVersion(cluster.id);
    if (latest?.hash === rendered.hash) return;
    const number = (latest?.version ?? 0) + 1;
    const version = Object.assign(new ClusterConfigVersionEntity(), {
      clusterId: cluster.id,
      version: number,
      hash: rendered.hash,
      contentSealed: this.deps.secrets.seal(rendered.content, versionContext(cluster.id, number)),
      content: null,
      author: actor.principal.name,
    });
    this.deps.repository.addVersion(version);
    record('cluster.config-published', 'cluster', cluster.id, { version: version.version, hash: version.hash });
  }

  /** New labels (or a new cluster) can bring rule groups together that conflict; refuse that as rule changes are refused. */
  private async refuseRuleConflicts(cluster: ClusterEntity): Promise<void> {
    const conflicts = await this.deps.rules.conflictsForCluster(cluster);
    if (conflicts.length > 0)
      throw new ConflictError(`refused: with these labels the cluster would get conflicting rules: ${conflicts.slice(0, 5).join('; ')}`);
  }

  private async saving<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError(`a cluster named ${name} already exists`);
      throw err;
    }
  }
}
