import type { AuditAction } from './audit-actions';
import { formatMatcher } from '../gateway/route.service';
import { overStored } from '../shared/partial-update';
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { ChannelGroupEntity } from '../../entities/channels/channel-group.entity';
import { ApiTokenEntity } from '../../entities/security/api-token.entity';
import { RoleEntity } from '../../entities/security/role.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import { compileMatcher, parseMatcher } from '../gateway/label-matcher';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from './audit.service';
import { isBuiltInRole, isPermission, PERMISSIONS, presetGrant, type Grant, type Permission } from './permissions';

const roleInput = z.strictObject({
  name: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_.-]{1,63}$/, 'role names are 2 to 64 lower-case letters, digits and _ . -, starting with a letter')
    .refine((name) => !isBuiltInRole(name), 'viewer, operator and admin are the built-in roles'),
  description: z.string().max(1_000).default(''),
  permissions: z
    .array(z.string())
    .min(1, 'a role needs at least one permission')
    .max(Object.keys(PERMISSIONS).length)
    .refine((list) => list.every(isPermission), { message: `known permissions: ${Object.keys(PERMISSIONS).join(', ')}` }),
  channelGroups: z.array(z.uuid('expected a channel group id')).max(100).nullish(),
  clusterMatchers: z.array(z.string()).max(20).nullish(),
});

export type RoleInput = z.input<typeof roleInput>;

/** A stored role in the shape of its input: what an update's omitted fields keep. */
function roleInputOf(role: RoleEntity): RoleInput {
  return {
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    channelGroups: role.channelGroups ?? null,
    clusterMatchers: role.clusterMatchers?.map(formatMatcher) ?? null,
  };
}

/** How long a role's grant is trusted before it is read again; changes made here apply at once. */
const GRANT_TTL_MS = 5_000;

/**
 * Roles: the three built-in presets and the roles admins define (permissions, and scopes that
 * narrow where channel and cluster permissions apply). Resolves a role name into the grant a
 * request carries.
 */
export class RoleService {
  private readonly grants = new Map<string, { grant: Grant | null; until: number }>();

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    events: EventBus,
  ) {
    // A role changed on any replica: forget every grant read from the database (the TTL is the backstop).
    const audits = events.subscribe('audit.recorded');
    void (async () => {
      for await (const event of audits) if (event.targetType === 'role') this.grants.clear();
    })().catch(() => {});
  }

  /** The grant of a role by name; null when no such role exists (any more). */
  async grantFor(name: string): Promise<Grant | null> {
    if (isBuiltInRole(name)) return presetGrant(name);
    const cached = this.grants.get(name);
    if (cached && cached.until > Date.now()) return cached.grant;
    const role = await this.em.findOne(RoleEntity, { name });
    const grant: Grant | null = role
      ? {
          role: role.name,
          permissions: new Set(role.permissions.filter(isPermission) as Permission[]),
          scopes: { channelGroups: role.channelGroups ?? null, clusters: role.clusterMatchers ?? null },
        }
      : null;
    this.grants.set(name, { grant, until: Date.now() + GRANT_TTL_MS });
    return grant;
  }

  list(): Promise<RoleEntity[]> {
    return this.em.find(RoleEntity, {}, { orderBy: { name: 'asc' } });
  }

  async get(id: string): Promise<RoleEntity> {
    return NotFoundError.assert(await this.em.findOne(RoleEntity, { id }), 'role', id);
  }

  async create(input: RoleInput, actor: Actor): Promise<RoleEntity> {
    return this.save(new RoleEntity(), input, actor, 'role.created');
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  async update(id: string, update: Partial<RoleInput>, actor: Actor): Promise<RoleEntity> {
    const role = await this.get(id);
    const input = overStored(roleInputOf(role), update);
    const parsed = parseInput(roleInput, input, 'input');
    if (parsed.name !== role.name && (await this.tokensUsing(role.name)) > 0)
      throw new ConflictError(`role ${role.name} is held by API tokens; it cannot be renamed`);
    role.updatedAt = new Date();
    return this.save(role, input, actor, 'role.updated');
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const role = await this.get(id);
    const holders = await this.tokensUsing(role.name);
    if (holders > 0)
      throw new ConflictError(`role ${role.name} is held by ${holders} API token${holders === 1 ? '' : 's'}; revoke them first`);
    await this.audit.change(actor, async (record) => {
      this.em.remove(role);
      record('role.deleted', 'role', id, { name: role.name });
    });
    this.grants.delete(role.name);
  }

  private async save(role: RoleEntity, input: RoleInput, actor: Actor, action: AuditAction): Promise<RoleEntity> {
    const parsed = parseInput(roleInput, input, 'input');
    const clusterMatchers = parsed.clusterMatchers?.map((text, i) => {
      const matcher = parseMatcher(text, `input.clusterMatchers.${i}`);
      compileMatcher(matcher, `input.clusterMatchers.${i}`);
      return matcher;
    });
    if (parsed.channelGroups?.length) {
      const known = await this.em.find(ChannelGroupEntity, { id: { $in: parsed.channelGroups } }, { fields: ['id'] });
      const missing = parsed.channelGroups.filter((id) => !known.some((g) => g.id === id));
      if (missing.length > 0) throw BadUserInputError.forField('input.channelGroups', `unknown channel group ${missing.join(', ')}`);
    }
    const previousName = role.name;
    Object.assign(role, {
      name: parsed.name,
      description: parsed.description,
      permissions: [...new Set(parsed.permissions)],
      channelGroups: parsed.channelGroups ?? null,
      clusterMatchers: clusterMatchers ?? null,
    });
    try {
      await this.audit.change(actor, async (record) => {
        this.em.persist(role);
        record(action, 'role', role.id, {
          name: role.name,
          permissions: role.permissions,
          channelGroups: role.channelGroups,
          clusterMatchers: parsed.clusterMatchers ?? null,
        });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError(`a role named ${parsed.name} already exists`);
      throw err;
    }
    this.grants.delete(previousName);
    this.grants.delete(role.name);
    return role;
  }

  private tokensUsing(name: string): Promise<number> {
    return this.em.count(ApiTokenEntity, { role: name, revokedAt: null });
  }
}
