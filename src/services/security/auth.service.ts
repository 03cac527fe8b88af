import { errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from '../../config';
import { UnauthenticatedError } from '../../errors';
import type { ApiTokenRepository } from './api-token.repository';
import { presetGrant } from './permissions';
import type { Principal } from './principal';
import type { RoleService } from './role.service';
import { API_TOKEN_PREFIX, bearerToken, hashApiToken, sameSecret } from './token-secret';

/** Recording every use would write on every request; once a minute is enough to tell live tokens from dead ones. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Turns an Authorization header into a principal: an API token, a signed JWT, or the bootstrap token. */
export class AuthService {
  private readonly jwtKey: Uint8Array | null;

  constructor(
    private readonly config: Config['auth'],
    private readonly tokens: ApiTokenRepository,
    private readonly roles: Pick<RoleService, 'grantFor'>,
  ) {
    this.jwtKey = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : null;
  }

  /** `null` when no credentials were sent; throws UNAUTHENTICATED when they were sent and are not good. */
  async authenticate(authorization: string | undefined | null, now = new Date()): Promise<Principal | null> {
    if (authorization === undefined || authorization === null || authorization.trim() === '') return null;
    const token = bearerToken(authorization);
    if (!token) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    if (this.config.bootstrapToken && sameSecret(token, this.config.bootstrapToken)) {
      return { kind: 'bootstrap', id: 'bootstrap', name: 'bootstrap', role: 'admin', grant: presetGrant('admin') };
    }
    if (token.startsWith(API_TOKEN_PREFIX)) return this.fromApiToken(token, now);
    if (token.split('.').length === 3) return this.fromJwt(token);
    throw new UnauthenticatedError('unrecognised bearer token');
  }

  private async fromApiToken(token: string, now: Date): Promise<Principal> {
    const record = await this.tokens.findByHash(hashApiToken(token));
    if (!record) throw new UnauthenticatedError('invalid API token');
    if (record.revokedAt) throw new UnauthenticatedError('API token has been revoked');
    if (record.expiresAt && record.expiresAt <= now) throw new UnauthenticatedError('API token has expired');
    if (!record.lastUsedAt || now.getTime() - record.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.tokens.touchLastUsed(record.id, now);
    }
    const grant = await this.roles.grantFor(record.role);
    if (!grant) throw new UnauthenticatedError(`the role "${record.role}" of this API token no longer exists`);
    return { kind: 'api-token', id: record.id, name: record.name, role: record.role, grant };
  }

  private async fromJwt(token: string): Promise<Principal> {
    if (!this.jwtKey) throw new UnauthenticatedError('JWT authentication is not enabled on this server');
    try {
      const { payload } = await jwtVerify(token, this.jwtKey, {
        issuer: this.config.jwtIssuer,
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
      });
      // A token that never expires, or lives longer than allowed, would outlive every revocation.
      const lifetime = payload.exp! - (typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000));
      if (lifetime > this.config.jwtMaxLifetimeSeconds)
        throw new UnauthenticatedError(
          `JWT lives ${lifetime} s; at most ${this.config.jwtMaxLifetimeSeconds} s is accepted (AUTH_JWT_MAX_LIFETIME_SECONDS)`,
        );
      const role = payload.role;
      const grant = typeof role === 'string' ? await this.roles.grantFor(role) : null;
      if (typeof role !== 'string' || !grant)
        throw new UnauthenticatedError('JWT claim "role" must name a role: viewer, operator, admin, or one an admin defined');
      if (!payload.sub) throw new UnauthenticatedError('JWT claim "sub" is required');
      const name = typeof payload.name === 'string' ? payload.name : payload.sub;
      return { kind: 'jwt', id: payload.sub, name, role, grant };
    } catch (err) {
      if (err instanceof UnauthenticatedError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('JWT has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        throw new UnauthenticatedError(
          err.reason === 'missing' ? `JWT claim "${err.claim}" is required` : `JWT claim "${err.claim}" is not valid: ${err.reason}`,
        );
      }
      throw new UnauthenticatedError('JWT signature or format is not valid');
    }
  }
}
