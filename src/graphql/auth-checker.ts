import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { Permission } from '../services/security/permissions';
import { hasPermission } from '../services/security/principal';
import type { GraphQLContext } from './context';

/**
 * `@Authorized()` needs any authenticated caller; `@Authorized('channels:write')` needs that
 * permission. Failing calls get UNAUTHENTICATED or FORBIDDEN, never a silent null. The permission
 * checked last is kept on the context, so the audit trail can say what a change was made under.
 */
export const authChecker: AuthChecker<GraphQLContext, Permission> = async ({ context, info }, permissions) => {
  const { principal } = context;
  if (!principal) throw new UnauthenticatedError(`authentication required for ${info.parentType.name}.${info.fieldName}`);
  const required = permissions[0];
  if (required && !hasPermission(principal, required)) {
    // A change someone tried without the right is part of the audit trail; reads are not.
    if (info.parentType.name === 'Mutation')
      await context
        .recordDenied?.(info.fieldName, required)
        .catch((err) => context.logger.warn({ err }, 'could not audit a refused change'));
    throw new ForbiddenError(
      `${info.parentType.name}.${info.fieldName} needs the permission ${required}, which the role ${principal.role} does not hold`,
    );
  }
  if (required && info.parentType.name === 'Mutation') context.permission = required;
  return true;
};
