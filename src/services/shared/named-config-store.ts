import type { NamedConfigAuditKind } from '../security/audit-actions';
import { UniqueConstraintViolationException, type EntityClass, type EntityManager, type FilterQuery } from '@mikro-orm/core';
import { ConflictError, NotFoundError } from '../../errors';
import type { Actor, AuditService } from '../security/audit.service';
import type { ReloadOnChange } from './reload-on-change';

/** A row of configuration with a unique name (policies, rules, windows). */
export interface NamedConfig {
  id: string;
  name: string;
  updatedAt: Date;
}

/** What a kind of configuration is called: in errors, in the audit trail. */
export interface ConfigKind<E> {
  entity: EntityClass<E>;
  /** "correlation policy", in error messages. */
  label: string;
  /** The audit target type, e.g. "correlation_policy". */
  auditType: string;
  /** The audit action prefix, e.g. "policy" (policy.created …). */
  auditAction: NamedConfigAuditKind;
}

/**
 * Create, update and delete of named configuration that every replica keeps in memory: each
 * change audited in the same transaction, a duplicate name refused as CONFLICT, an unknown id as
 * NOT_FOUND, and every replica told to reload. `fill` checks the input and sets the fields; it
 * answers what the audit record says about the change.
 */
export class NamedConfigStore<E extends NamedConfig> {
  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly changes: ReloadOnChange,
    private readonly kind: ConfigKind<E>,
  ) {}

  async create(actor: Actor, fill: (entity: E) => Promise<Record<string, unknown>> | Record<string, unknown>): Promise<E> {
    const entity = new (this.kind.entity as new () => E)();
    await this.save(entity, actor, 'created', fill);
    return entity;
  }

  async update(id: string, actor: Actor, fill: (entity: E) => Promise<Record<string, unknown>> | Record<string, unknown>): Promise<E> {
    const entity = await this.find(id);
    entity.updatedAt = new Date();
    await this.save(entity, actor, 'updated', fill);
    return entity;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const entity = await this.find(id);
    await this.audit.change(actor, async (record) => {
      this.em.remove(entity);
      record(`${this.kind.auditAction}.deleted`, this.kind.auditType, id, { name: entity.name });
    });
    await this.changes.announce();
  }

  private async find(id: string): Promise<E> {
    return NotFoundError.assert(await this.em.findOne(this.kind.entity, { id } as FilterQuery<E>), this.kind.label, id);
  }

  private async save(
    entity: E,
    actor: Actor,
    verb: 'created' | 'updated',
    fill: (entity: E) => Promise<Record<string, unknown>> | Record<string, unknown>,
  ): Promise<void> {
    const details = await fill(entity);
    try {
      await this.audit.change(actor, async (record) => {
        this.em.persist(entity);
        record(`${this.kind.auditAction}.${verb}`, this.kind.auditType, entity.id, { name: entity.name, ...details });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException)
        throw new ConflictError(`a ${this.kind.label} named "${entity.name}" already exists`);
      throw err;
    }
    await this.changes.announce();
  }
}
