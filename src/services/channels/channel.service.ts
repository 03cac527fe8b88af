import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { ChannelGroupEntity } from '../../entities/channels/channel-group.entity';
import { ChannelEntity, type StoredTemplates } from '../../entities/channels/channel.entity';
import { ROLES, type Role } from '../../entities/security/api-token.entity';
import type { Principal } from '../security/principal';
import { ChannelAccess } from './channel-access';
import type { EgressPolicy } from '../security/egress-policy';
import type { TlsOptions } from '../../shared/http-post';
import { skipsVerification } from '../shared/tls-options';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError, parseInput, zodIssues } from '../../errors';
import type { Actor, AuditService } from '../security/audit.service';
import type { PageRequest } from '../../domain/page';
import type { SecretBox } from '../security/secret-box';
import type { ChannelPlugin } from './channel-plugin';
import type { ChannelFilter, ChannelRepository, ChannelSortField } from './channel.repository';
import { maskedConfig, mergeSettings, openSecrets, sealSecrets } from '../security/sealed-fields';
import { CHANNEL_PLUGINS, channelPlugin } from './registry';
import { deliveryPolicySchema, policyOf, type DeliveryPolicy } from './delivery-policy';
import type { TemplateRenderer, TemplateSet } from './templates';

const TEMPLATE_MAX = 16 * 1024;
const name = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty', abort: true })
  .max(100, 'must be at most 100 characters')
  .regex(/^[\p{L}\p{N} ._@:()/-]+$/u, 'may contain letters, digits, spaces and . _ @ : ( ) / - only');
const tags = z
  .array(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9_.:=-]{0,49}$/, 'tags are lower-case letters, digits and _ . : = -, up to 50 characters'),
  )
  .max(20, 'at most 20 tags');
const templates = z.strictObject({
  title: z.string().max(TEMPLATE_MAX).optional(),
  body: z.string().max(TEMPLATE_MAX).optional(),
  html: z.string().max(TEMPLATE_MAX).optional(),
});

const createInput = z.strictObject({
  name,
  type: z.string(),
  config: z.record(z.string(), z.unknown()),
  groupId: z.uuid('expected a channel group id').nullish(),
  tags: tags.default([]),
  enabled: z.boolean().default(true),
  templates: templates.nullish(),
  deliveryPolicy: z.record(z.string(), z.unknown()).nullish(),
});

const updateInput = z.strictObject({
  name: name.optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  groupId: z.uuid('expected a channel group id').nullish(),
  tags: tags.optional(),
  enabled: z.boolean().optional(),
  templates: templates.nullish(),
  /** Replaces the policy as a whole; null resets it to the defaults. */
  deliveryPolicy: z.record(z.string(), z.unknown()).nullish(),
});

export type CreateChannelInput = z.input<typeof createInput>;
export type UpdateChannelInput = z.input<typeof updateInput>;

/** A channel as clients see it: secret fields masked, never in clear. */
export interface ChannelView {
  entity: ChannelEntity;
  config: Record<string, unknown>;
  secretFieldsSet: string[];
}

/** What the delivery path needs to send: the plugin, the full config with secrets opened, the templates. */
export interface SendableChannel {
  channel: ChannelEntity;
  plugin: ChannelPlugin;
  config: Record<string, unknown>;
  templates: TemplateSet;
}

const SENDABLE_TTL_MS = 2_000;

/** Where a channel sends: its own list when the plugin has one, else every http(s) URL among its settings. */
function destinations(plugin: ChannelPlugin, config: Record<string, unknown>): Array<{ field: string; url: string }> {
  if (plugin.destinations) return plugin.destinations(config);
  return Object.entries(config)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /^https?:\/\//i.test(entry[1]))
    .map(([field, url]) => ({ field, url }));
}

/** A group id from raw input, checked only as far as finding the group needs. */
function groupIdOf(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  return BadUserInputError.assertUuid(value, field, 'expected a channel group id');
}

export interface ChannelServiceDeps {
  repository: ChannelRepository;
  box: SecretBox;
  audit: AuditService;
  templates: TemplateRenderer;
  egress: Pick<EgressPolicy, 'assertUrl'>;
}

/** Channel CRUD: validation by each type's schema, secrets sealed at rest and masked in answers, group permissions, audit. */
export class ChannelService {
  private readonly sendableCache = new Map<string, { value: SendableChannel; expires: number }>();
  private readonly access: ChannelAccess;

  constructor(private readonly deps: ChannelServiceDeps) {
    this.access = new ChannelAccess(deps.repository);
  }

  types(): readonly ChannelPlugin[] {
    return CHANNEL_PLUGINS;
  }

  /** One channel; `reader` (when given) must have it in its channel-group scope. */
  async get(id: string, reader: Principal | null = null): Promise<ChannelView> {
    const channel = NotFoundError.assert(await this.deps.repository.findById(id), 'channel', id);
    await this.access.assertVisible(reader, channel.group ?? null, `channel ${channel.name}`);
    return this.view(channel);
  }

  /** Channels the reader may see (its channel-group scope), filtered, sorted and paged. */
  async list(
    filter: ChannelFilter,
    page: PageRequest,
    sortBy: ChannelSortField,
    reader: Principal | null = null,
  ): Promise<{ items: ChannelView[]; total: number }> {
    const groupIds = reader ? await this.access.visibleGroupIds(reader.grant) : null;
    const { items, total } = await this.deps.repository.findPage(groupIds ? { ...filter, groupIds } : filter, page, sortBy);
    return { items: items.map((c) => this.view(c)), total };
  }

  /** Ids of the channels a reader may see; null when it may see every channel. */
  async visibleChannelIds(reader: Principal): Promise<string[] | null> {
    const groupIds = await this.access.visibleGroupIds(reader.grant);
    return groupIds === null ? null : this.deps.repository.idsInGroups(groupIds);
  }

  /** Throws FORBIDDEN when any of these channels lies outside the reader's channel-group scope (a route may only send to channels its author may see). */
  async assertVisible(ids: readonly string[], reader: Principal): Promise<void> {
    const visible = await this.visibleChannelIds(reader);
    const hidden = visible === null ? [] : ids.filter((id) => !visible.includes(id));
    if (hidden.length > 0)
      throw new ForbiddenError(`channel ${hidden.join(', ')} is outside the channel groups of the role ${reader.role}`);
  }

  /** Throws unless the actor may send a test message through this channel; returns the actor with the permission it does so under. */
  async authorizeTest(id: string, actor: Actor): Promise<{ view: ChannelView; actor: Actor }> {
    const channel = NotFoundError.assert(await this.deps.repository.findById(id), 'channel', id);
    return { view: this.view(channel), actor: await this.access.assertMay(actor, channel.group ?? null, 'test') };
  }

  async create(input: CreateChannelInput, actor: Actor): Promise<ChannelView> {
    // Who may is decided before what is asked is judged: a caller without access learns nothing from validation.
    actor = await this.access.assertMay(actor, await this.resolveGroup(groupIdOf(input.groupId, 'input.groupId')), 'write');
    const parsed = parseInput(createInput, input, 'input');
    const plugin = channelPlugin(parsed.type);
    const group = await this.resolveGroup(parsed.groupId ?? null);
    const channel = new ChannelEntity();
    Object.assign(channel, { name: parsed.name, type: plugin.type, group, tags: parsed.tags, enabled: parsed.enabled });
    this.applyConfig(channel, plugin, this.validateConfig(plugin, parsed.config));
    channel.templates = await this.validateTemplates(parsed.templates ?? null);
    channel.deliveryPolicy = await this.validatePolicy(channel, plugin, parsed.deliveryPolicy ?? {}, actor);
    await this.saving(() =>
      this.deps.audit.change(actor, async (record) => {
        this.deps.repository.add(channel);
        record('channel.created', 'channel', channel.id, { name: channel.name, type: channel.type });
        if (skipsVerification(channel.config.tls as TlsOptions | undefined))
          record('tls.verification-disabled', 'channel', channel.id, { name: channel.name });
      }),
    );
    return this.view(channel);
  }

  async update(id: string, input: UpdateChannelInput, actor: Actor): Promise<ChannelView> {
    const channel = NotFoundError.assert(await this.deps.repository.findById(id), 'channel', id);
    actor = await this.access.assertMay(actor, channel.group ?? null, 'write');
    const parsed = parseInput(updateInput, input, 'input');
    const plugin = channelPlugin(channel.type);
    const changed: string[] = [];
    if (parsed.groupId !== undefined) {
      const group = await this.resolveGroup(parsed.groupId);
      await this.access.assertMay(actor, group, 'write');
      channel.group = group;
      changed.push('group');
    }
    if (parsed.config) {
      // A config update merges: omitted fields (secrets included) keep their value; null clears an optional field.
      const merged = mergeSettings({ ...channel.config, ...this.opened(channel, plugin) }, parsed.config);
      this.applyConfig(channel, plugin, this.validateConfig(plugin, merged));
      changed.push('config');
    }
    if (parsed.name !== undefined) (channel.name = parsed.name), changed.push('name');
    if (parsed.tags !== undefined) (channel.tags = parsed.tags), changed.push('tags');
    if (parsed.enabled !== undefined) (channel.enabled = parsed.enabled), changed.push('enabled');
    if (parsed.templates !== undefined) (channel.templates = await this.validateTemplates(parsed.templates)), changed.push('templates');
    if (parsed.deliveryPolicy !== undefined)
      (channel.deliveryPolicy = await this.validatePolicy(channel, plugin, parsed.deliveryPolicy ?? {}, actor)),
        changed.push('deliveryPolicy');
    channel.updatedAt = new Date();
    this.sendableCache.delete(channel.id);
    await this.saving(() =>
      this.deps.audit.change(actor, async (record) => {
        record('channel.updated', 'channel', channel.id, { name: channel.name, changed });
        if (changed.includes('config') && skipsVerification(channel.config.tls as TlsOptions | undefined))
          record('tls.verification-disabled', 'channel', channel.id, { name: channel.name });
      }),
    );
    return this.view(channel);
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const channel = NotFoundError.assert(await this.deps.repository.findById(id), 'channel', id);
    actor = await this.access.assertMay(actor, channel.group ?? null, 'write');
    const routes = await this.deps.repository.routesUsing(id);
    if (routes.length > 0)
      throw new ConflictError(
        `channel ${channel.name} is used by route${routes.length > 1 ? 's' : ''} ${routes.join(', ')}; take it out of them first`,
        { routes },
      );
    const channels = await this.deps.repository.channelsLeaningOn(id);
    if (channels.length > 0) {
      throw new ConflictError(
        `channel ${channel.name} is the backup or a pool member of channel${channels.length > 1 ? 's' : ''} ${channels.join(', ')}; take it out of their delivery policy first`,
        { channels },
      );
    }
    this.sendableCache.delete(id);
    await this.deps.audit.change(actor, async (record) => {
      this.deps.repository.remove(channel);
      record('channel.deleted', 'channel', id, { name: channel.name, type: channel.type });
    });
  }

  /**
   * The channel ready to send, with secrets opened. Kept for a moment so a burst of deliveries
   * does not reload and decrypt it each time; changes made here drop it at once, changes made on
   * another replica apply within SENDABLE_TTL_MS.
   */
  async sendable(id: string): Promise<SendableChannel | null> {
    const cached = this.sendableCache.get(id);
    if (cached && cached.expires > Date.now()) return cached.value;
    const value = await this.loadSendable(id);
    if (value) this.sendableCache.set(id, { value, expires: Date.now() + SENDABLE_TTL_MS });
    else this.sendableCache.delete(id);
    return value;
  }

  private async loadSendable(id: string): Promise<SendableChannel | null> {
    const channel = await this.deps.repository.findById(id);
    if (!channel) return null;
    const plugin = channelPlugin(channel.type);
    const stored = channel.templates ?? {};
    const defaults = plugin.defaultTemplates;
    return {
      channel,
      plugin,
      config: { ...channel.config, ...this.opened(channel, plugin) },
      templates: {
        templates: { title: stored.title ?? defaults.title, body: stored.body ?? defaults.body, html: stored.html ?? defaults.html },
        defaults,
        custom: Object.values(stored).some((source) => source !== undefined && source !== null),
      },
    };
  }

  /** Channel groups the reader may see: those in its scope and below them. */
  async listGroups(reader: Principal | null = null): Promise<ChannelGroupEntity[]> {
    const groups = await this.deps.repository.listGroups();
    const visible = reader ? await this.access.visibleGroupIds(reader.grant) : null;
    return visible === null ? groups : groups.filter((g) => visible.includes(g.id));
  }

  async createGroup(
    input: { name: string; parentId?: string | null; manageRole?: Role | null },
    actor: Actor,
  ): Promise<ChannelGroupEntity> {
    actor = await this.access.assertMay(actor, await this.resolveGroup(groupIdOf(input.parentId, 'input.parentId')), 'write');
    const parsed = parseInput(
      z.strictObject({ name, parentId: z.uuid('expected a channel group id').nullish(), manageRole: z.enum(ROLES).nullish() }),
      input,
      'input',
    );
    const parent = await this.resolveGroup(parsed.parentId ?? null);
    const group = new ChannelGroupEntity();
    Object.assign(group, { name: parsed.name, parent, manageRole: parsed.manageRole ?? null });
    await this.saving(() =>
      this.deps.audit.change(actor, async (record) => {
        this.deps.repository.add(group);
        record('channel-group.created', 'channel-group', group.id, { name: group.name, manageRole: group.manageRole });
      }),
    );
    return group;
  }

  async deleteGroup(id: string, actor: Actor): Promise<void> {
    const group = NotFoundError.assert(await this.deps.repository.findGroup(id), 'channel group', id);
    actor = await this.access.assertMay(actor, group, 'write');
    if ((await this.deps.repository.countGroupChildren(id)) > 0)
      throw new ConflictError(`channel group ${group.name} has subgroups; delete or move them first`);
    await this.deps.audit.change(actor, async (record) => {
      this.deps.repository.remove(group);
      record('channel-group.deleted', 'channel-group', id, { name: group.name });
    });
  }

  view(channel: ChannelEntity): ChannelView {
    const opened = this.opened(channel, channelPlugin(channel.type));
    return { entity: channel, config: maskedConfig(channel.config, opened), secretFieldsSet: Object.keys(opened) };
  }

  /** Seals again what is still in clear (fields that became secret later) and everything with the current key. */
  async resealAll(): Promise<number> {
    const channels = await this.deps.repository.findAll();
    for (const channel of channels) {
      const plugin = channelPlugin(channel.type);
      this.applyConfig(channel, plugin, { ...channel.config, ...this.opened(channel, plugin) });
      this.sendableCache.delete(channel.id);
    }
    await this.deps.repository.flush();
    return channels.length;
  }

  private opened(channel: ChannelEntity, plugin: ChannelPlugin): Record<string, unknown> {
    return openSecrets(this.deps.box, `channel:${channel.id}`, channel.secrets, channel.config, plugin.secretFields);
  }

  /** Judges a channel config as create would (the type's schema, the egress policy), storing nothing. */
  checkConfig(type: string, config: Record<string, unknown>): void {
    this.validateConfig(channelPlugin(type), config);
  }

  private validateConfig(plugin: ChannelPlugin, config: Record<string, unknown>): Record<string, unknown> {
    const result = plugin.schema.safeParse(config);
    if (result.success) {
      for (const { field, url } of destinations(plugin, result.data)) this.deps.egress.assertUrl(url, `input.config.${field}`);
      return result.data;
    }
    const issues = zodIssues(result.error, 'input.config');
    throw new BadUserInputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  }

  private applyConfig(channel: ChannelEntity, plugin: ChannelPlugin, config: Record<string, unknown>): void {
    const { publicConfig, secrets } = sealSecrets(this.deps.box, `channel:${channel.id}`, config, plugin.secretFields);
    channel.config = publicConfig;
    channel.secrets = secrets;
  }

  /**
   * A delivery policy as the schema defaults it, with its references checked: the backup is
   * another channel the author may see; pool members are channels of the same type, not pools
   * themselves; probes only for types that can be probed.
   */
  private async validatePolicy(
    channel: ChannelEntity,
    plugin: ChannelPlugin,
    input: Record<string, unknown>,
    actor: Actor,
  ): Promise<DeliveryPolicy> {
    const policy = parseInput(deliveryPolicySchema, input, 'input.deliveryPolicy');
    const field = (name: string) => `input.deliveryPolicy.${name}`;
    if (policy.backupChannelId) {
      if (policy.backupChannelId === channel.id)
        throw BadUserInputError.forField(field('backupChannelId'), 'a channel cannot be its own backup');
      const backup = await this.deps.repository.findById(policy.backupChannelId);
      if (!backup) throw BadUserInputError.forField(field('backupChannelId'), `no channel with id ${policy.backupChannelId}`);
      await this.assertVisible([backup.id], actor.principal);
    }
    if (new Set(policy.pool).size !== policy.pool.length) throw BadUserInputError.forField(field('pool'), 'a pool member is listed twice');
    for (const [index, id] of policy.pool.entries()) {
      if (id === channel.id)
        throw BadUserInputError.forField(field(`pool.${index}`), 'a channel is already the first robot of its own pool');
      const member = await this.deps.repository.findById(id);
      if (!member) throw BadUserInputError.forField(field(`pool.${index}`), `no channel with id ${id}`);
      if (member.type !== plugin.type)
        throw BadUserInputError.forField(
          field(`pool.${index}`),
          `channel ${member.name} is a ${member.type} channel; a pool holds robots of one type (${plugin.type})`,
        );
      if (policyOf(member.deliveryPolicy).pool.length > 0)
        throw BadUserInputError.forField(field(`pool.${index}`), `channel ${member.name} has a pool of its own; pools do not nest`);
    }
    if (policy.pool.length > 0) await this.assertVisible(policy.pool, actor.principal);
    if (policy.probeIntervalSeconds && !plugin.probe) {
      throw BadUserInputError.forField(
        field('probeIntervalSeconds'),
        `a ${plugin.type} channel cannot be probed without posting a message`,
      );
    }
    return policy;
  }

  private async validateTemplates(input: StoredTemplates | null): Promise<StoredTemplates | null> {
    if (!input) return null;
    await this.deps.templates.check(input, 'input.templates');
    return input;
  }

  private async resolveGroup(id: string | null): Promise<ChannelGroupEntity | null> {
    if (!id) return null;
    return NotFoundError.assert(await this.deps.repository.findGroup(id), 'channel group', id);
  }

  private async saving<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError('a channel or group with this name already exists');
      throw err;
    }
  }
}
