import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiTokenEntity, ROLES } from '../../entities/security/api-token.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import type { RoleService } from './role.service';
import type { Logger } from '../../shared/logger';
import type { ApiTokenRepository } from './api-token.repository';
import type { Actor, AuditService } from './audit.service';
import { actorOf, CLI_PRINCIPAL } from './principal';
import { displayPrefix, generateApiToken, hashApiToken } from './token-secret';

const createTokenInput = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, { message: 'must not be empty', abort: true })
    .max(100, 'must be at most 100 characters')
    .regex(/^[\p{L}\p{N} ._@:-]+$/u, 'may contain letters, digits, spaces and . _ @ : - only'),
  role: z.string({ message: `give a built-in role (${ROLES.join(', ')}) or the name of a role an admin defined` }).min(1),
  expiresInDays: z.number().int('must be a whole number').min(1, 'must be at least 1').max(3650, 'must be at most 3650').nullish(),
});

export type CreateTokenInput = z.input<typeof createTokenInput>;

export interface CreatedToken {
  /** The secret itself; shown once, never stored. */
  token: string;
  record: ApiTokenEntity;
}

export const INITIAL_ADMIN_TOKEN_FILE = 'initial-admin-token';

export interface ApiTokenServiceDeps {
  tokens: ApiTokenRepository;
  audit: AuditService;
  logger: Logger;
  roles: Pick<RoleService, 'grantFor'>;
}

/** Issues, lists and revokes API tokens; every change is audited. */
export class ApiTokenService {
  constructor(private readonly deps: ApiTokenServiceDeps) {}

  async create(input: CreateTokenInput, actor: Actor, now = new Date()): Promise<CreatedToken> {
    const { name, role, expiresInDays } = parseInput(createTokenInput, input, 'input');
    if (!(await this.deps.roles.grantFor(role)))
      throw BadUserInputError.forField('input.role', `no role named "${role}"; built in: ${ROLES.join(', ')}, or one from accessRoles`);
    const token = generateApiToken();
    const record = new ApiTokenEntity();
    Object.assign(record, {
      name,
      role,
      tokenHash: hashApiToken(token),
      prefix: displayPrefix(token),
      createdBy: actorOf(actor.principal),
      createdAt: now,
      expiresAt: expiresInDays ? new Date(now.getTime() + expiresInDays * 24 * 3600 * 1000) : null,
    });
    await this.deps.audit.change(actor, async (record_) => {
      this.deps.tokens.add(record);
      record_('api-token.created', 'api-token', record.id, { name, role, expiresAt: record.expiresAt?.toISOString() ?? null });
    });
    return { token, record };
  }

  list(includeRevoked = false): Promise<ApiTokenEntity[]> {
    return this.deps.tokens.listNewestFirst(includeRevoked);
  }

  async revoke(id: string, actor: Actor, now = new Date()): Promise<ApiTokenEntity> {
    return this.deps.audit.change(actor, async (record) => {
      const token = NotFoundError.assert(await this.deps.tokens.findById(id), 'API token', id);
      if (token.revokedAt) throw new ConflictError(`API token ${id} is already revoked`);
      if (token.role === 'admin' && (await this.deps.tokens.countUsableAdmins(now)) <= 1 && !this.isExpired(token, now)) {
        throw new ConflictError('cannot revoke the last admin token; create another admin token first');
      }
      token.revokedAt = now;
      record('api-token.revoked', 'api-token', id, { name: token.name, role: token.role });
      return token;
    });
  }

  /**
   * On a brand-new embedded install there is no way in: create one admin token and write it
   * to a file only the owner can read, as Jenkins does with its initial password.
   */
  async ensureInitialAdminToken(dataDir: string): Promise<string | null> {
    if ((await this.deps.tokens.countUsableAdmins(new Date())) > 0) return null;
    const file = join(dataDir, INITIAL_ADMIN_TOKEN_FILE);
    if (existsSync(file)) return null;
    const { token } = await this.create({ name: 'initial-admin', role: 'admin' }, { principal: CLI_PRINCIPAL });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    this.deps.logger.warn({ file }, 'created the initial admin API token; read it from this file, then delete the file');
    return file;
  }

  /** Whether anyone holds a usable admin token. */
  async hasUsableAdmin(now = new Date()): Promise<boolean> {
    return (await this.deps.tokens.countUsableAdmins(now)) > 0;
  }

  private isExpired(token: ApiTokenEntity, now: Date): boolean {
    return token.expiresAt !== null && token.expiresAt !== undefined && token.expiresAt <= now;
  }
}
