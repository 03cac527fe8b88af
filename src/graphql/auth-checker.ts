import type { AuthChecker } from 'type-graphql';
import type { Role } from '../entities/security/api-token.entity';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import { roleAllows } from '../services/security/principal';
import type { GraphQLContext } from './context';

/**
 * `@Authorized()` needs any authenticated caller; `@Authorized('operator')` needs that role or
 * a higher one. Failing calls get UNAUTHENTICATED or FORBIDDEN, never a silent null.
 */
export const authChecker: AuthChecker<GraphQLContext, Role> = ({ context, info }, roles) => {
  const { principal } = context;
  if (!principal) throw new UnauthenticatedError(`authentication required for ${info.parentType.name}.${info.fieldName}`);
  const required = roles[0];
  if (required && !roleAllows(principal.role, required)) {
    throw new ForbiddenError(`${info.parentType.name}.${info.fieldName} requires the ${required} role; you have ${principal.role}`);
  }
  return true;
};
