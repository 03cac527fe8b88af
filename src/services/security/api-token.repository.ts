import type { EntityManager } from '@mikro-orm/core';
import { ApiTokenEntity } from '../../entities/security/api-token.entity';

/** Storage of API tokens; works in whatever entity-manager context the caller opened. */
export class ApiTokenRepository {
  constructor(private readonly em: EntityManager) {}

  add(token: ApiTokenEntity): void {
    this.em.persist(token);
  }

  findByHash(tokenHash: string): Promise<ApiTokenEntity | null> {
    return this.em.findOne(ApiTokenEntity, { tokenHash });
  }

  findById(id: string): Promise<ApiTokenEntity | null> {
    return this.em.findOne(ApiTokenEntity, { id });
  }

  listNewestFirst(includeRevoked: boolean): Promise<ApiTokenEntity[]> {
    return this.em.find(ApiTokenEntity, includeRevoked ? {} : { revokedAt: null }, { orderBy: { createdAt: 'desc' } });
  }

  countUsableAdmins(now: Date): Promise<number> {
    return this.em.count(ApiTokenEntity, {
      role: 'admin',
      revokedAt: null,
      $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
    });
  }

  /** Records use without loading the row into the identity map; cheap enough for every request. */
  async touchLastUsed(id: string, at: Date): Promise<void> {
    await this.em.nativeUpdate(ApiTokenEntity, { id }, { lastUsedAt: at });
  }
}
