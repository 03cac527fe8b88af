import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ApiTokenEntity } from '../entities/security/api-token.entity';
import { BadUserInputError } from '../errors';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { toRoleName } from '../schema/common/enums';
import { byField, pageOf } from '../schema/common/list.args';
import { ApiTokenPageType, ApiTokenType, CreatedApiTokenType, ViewerType } from '../schema/security/api-token.type';
import { ApiTokensArgs } from '../schema/security/api-token.args';
import { CreateApiTokenInput } from '../schema/security/create-api-token.input';
import type { ApiTokenService } from '../services/security/api-token.service';
import { formatMatcher } from '../services/gateway/route.service';

export function toApiTokenType(token: ApiTokenEntity): ApiTokenType {
  return {
    id: token.id,
    name: token.name,
    role: toRoleName(token.role),
    roleName: token.role,
    prefix: token.prefix,
    createdBy: token.createdBy ?? null,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt ?? null,
    lastUsedAt: token.lastUsedAt ?? null,
    revokedAt: token.revokedAt ?? null,
  };
}

/** Who am I, and management of API tokens (admin only). */
@Resolver()
export class ApiTokenResolver {
  constructor(private readonly tokens: ApiTokenService) {}

  @Authorized()
  @Query(() => ViewerType, { description: 'The authenticated caller' })
  viewer(@Ctx() context: GraphQLContext): ViewerType {
    const { principal } = actorFrom(context);
    const { grant } = principal;
    return {
      name: principal.name,
      kind: principal.kind,
      role: toRoleName(principal.role),
      roleName: principal.role,
      permissions: [...grant.permissions],
      scopes: { channelGroups: grant.scopes.channelGroups, clusterMatchers: grant.scopes.clusters?.map(formatMatcher) ?? null },
    };
  }

  @Authorized('tokens:admin')
  @Query(() => ApiTokenPageType, { description: 'API tokens, newest first by default; filtered and paginated' })
  async apiTokens(@Args() args: ApiTokensArgs): Promise<ApiTokenPageType> {
    return pageOf(
      (await this.tokens.list(args.includeRevoked)).map(toApiTokenType),
      args,
      (t) => t.name,
      byField(args.sortBy),
      (t) => !args.role || t.roleName === args.role,
    );
  }

  @Authorized('tokens:admin')
  @Mutation(() => CreatedApiTokenType, { description: 'Issue a token; its secret is in the answer and nowhere else' })
  async createApiToken(@Arg('input') input: CreateApiTokenInput, @Ctx() context: GraphQLContext): Promise<CreatedApiTokenType> {
    const role = input.customRole ?? input.role;
    if (!role || (input.customRole && input.role))
      throw BadUserInputError.forField('input.role', 'give either role (a built-in role) or customRole (a role an admin defined)');
    const { token, record } = await this.tokens.create({ name: input.name, role, expiresInDays: input.expiresInDays }, actorFrom(context));
    return { token, apiToken: toApiTokenType(record) };
  }

  @Authorized('tokens:admin')
  @Mutation(() => ApiTokenType, { description: 'Revoke a token; requests with it fail from now on' })
  async revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ApiTokenType> {
    return toApiTokenType(await this.tokens.revoke(id, actorFrom(context)));
  }
}
