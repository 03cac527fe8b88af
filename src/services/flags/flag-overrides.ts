import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { FlagOverrideEntity } from '../../entities/flags/flag.entity';
import { BadUserInputError, NotFoundError } from '../../errors';
import type { Actor, AuditService } from '../security/audit.service';
import { actorOf } from '../security/principal';
import { FLAG_NAMES, isFlagName, type FlagName } from './flag-definitions';
import type { FlagOverride } from './flag-resolver';
import type { FlagOverrideSource } from './flag.service';

const REASON_MAX = 500;
const LONGEST_OVERRIDE_MS = 366 * 24 * 3600 * 1000;

/** Overrides as stored: read by every replica's flag service. Expired ones are dropped as they are read. */
export class FlagOverrideRepository implements FlagOverrideSource {
  constructor(private readonly orm: MikroORM) {}

  async load(): Promise<Map<string, FlagOverride>> {
    const em = this.orm.em.fork();
    await em.nativeDelete(FlagOverrideEntity, { expiresAt: { $lte: new Date() } });
    const rows = await em.find(FlagOverrideEntity, {});
    return new Map(
      rows.map((row) => [
        row.name,
        { enabled: row.enabled, reason: row.reason, actor: row.actor, expiresAt: row.expiresAt ?? null, createdAt: row.createdAt },
      ]),
    );
  }
}

export interface OverrideRequest {
  name: string;
  enabled: boolean;
  reason: string;
  expiresAt?: Date | null;
}

/** Tells every replica's flag service that overrides changed. */
export interface OverrideAnnouncer {
  overridesChanged(): Promise<void>;
}

/**
 * Sets and clears overrides (admins through the API, the maturity evaluator by itself). Each is
 * audited in the same transaction with who and why; every replica applies it within a second.
 */
export class FlagOverrideService {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly flags: OverrideAnnouncer,
  ) {}

  async set(actor: Actor, request: OverrideRequest, now = new Date()): Promise<FlagOverrideEntity> {
    try {
      return await this.setChecked(actor, request, now);
    } catch (err) {
      // Refused overrides are part of the trail: who tried to switch what, and why it was refused.
      if (err instanceof BadUserInputError)
        await this.audit.change(actor, async (record) =>
          record('flag.override.refused', 'flag', request.name.slice(0, 100), { enabled: request.enabled, reason: err.message }),
        );
      throw err;
    }
  }

  private async setChecked(actor: Actor, request: OverrideRequest, now: Date): Promise<FlagOverrideEntity> {
    const name = knownFlag(request.name);
    const reason = request.reason.trim();
    if (reason.length === 0) throw BadUserInputError.forField('reason', 'say why the flag is overridden (it is audited and notified)');
    if (reason.length > REASON_MAX) throw BadUserInputError.forField('reason', `at most ${REASON_MAX} characters (got ${reason.length})`);
    const expiresAt = request.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      throw BadUserInputError.forField('expiresAt', `must be in the future (got ${expiresAt.toISOString()})`);
    if (expiresAt && expiresAt.getTime() - now.getTime() > LONGEST_OVERRIDE_MS)
      throw BadUserInputError.forField('expiresAt', 'at most one year ahead; leave it out for an override that lasts until cleared');
    const row = await this.audit.change(actor, async (record) => {
      const entity = (await this.em.findOne(FlagOverrideEntity, { name })) ?? Object.assign(new FlagOverrideEntity(), { name });
      Object.assign(entity, {
        enabled: request.enabled,
        reason,
        actor: actor.actorName ?? actorOf(actor.principal),
        expiresAt,
        createdAt: now,
      });
      this.em.persist(entity);
      record('flag.override.set', 'flag', name, { enabled: request.enabled, reason, expiresAt: expiresAt?.toISOString() ?? null });
      return entity;
    });
    await this.flags.overridesChanged();
    return row;
  }

  async clear(actor: Actor, flagName: string, reason?: string): Promise<void> {
    const name = knownFlag(flagName);
    await this.audit.change(actor, async (record) => {
      const entity = NotFoundError.assert(await this.em.findOne(FlagOverrideEntity, { name }), 'flag override', name);
      this.em.remove(entity);
      record('flag.override.cleared', 'flag', name, { enabled: entity.enabled, setBy: entity.actor, ...(reason ? { reason } : {}) });
    });
    await this.flags.overridesChanged();
  }

  /** The override in force for a flag, if any (expired ones do not count). */
  async find(flagName: FlagName): Promise<FlagOverrideEntity | null> {
    const row = await this.em.findOne(FlagOverrideEntity, { name: flagName });
    return row && (!row.expiresAt || row.expiresAt.getTime() > Date.now()) ? row : null;
  }
}

function knownFlag(name: string): FlagName {
  if (!isFlagName(name))
    throw BadUserInputError.forField('name', `unknown flag "${name.slice(0, 100)}"; known flags: ${FLAG_NAMES.join(', ')}`);
  return name;
}
