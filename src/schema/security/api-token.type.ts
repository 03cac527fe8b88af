import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';
import { RoleName } from '../common/enums';
import { RoleScopesType } from './access-role.type';

@ObjectType('ApiToken', { description: 'A bearer credential; the secret itself is shown only when created' })
export class ApiTokenType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => RoleName, {
    nullable: true,
    description: 'The built-in role; null when the token holds a role an admin defined (see roleName)',
  })
  role!: RoleName | null;

  @Field({ description: 'The role the token holds, built in or defined' })
  roleName!: string;

  @Field({ description: 'First characters of the token, to tell tokens apart' })
  prefix!: string;

  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last use, to the minute' })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('CreatedApiToken')
export class CreatedApiTokenType {
  @Field({ description: 'The secret. Store it now: it cannot be shown again' })
  token!: string;

  @Field(() => ApiTokenType)
  apiToken!: ApiTokenType;
}

@ObjectType('Viewer', { description: 'The caller, as the server authenticated it' })
export class ViewerType {
  @Field()
  name!: string;

  @Field({ description: 'api-token, jwt or bootstrap' })
  kind!: string;

  @Field(() => RoleName, { nullable: true, description: 'The built-in role; null for a role an admin defined (see roleName)' })
  role!: RoleName | null;

  @Field()
  roleName!: string;

  @Field(() => [String], { description: 'Every permission the caller holds' })
  permissions!: string[];

  @Field(() => RoleScopesType)
  scopes!: RoleScopesType;
}

export enum ApiTokenSortFieldName {
  CREATED_AT = 'createdAt',
  NAME = 'name',
  LAST_USED_AT = 'lastUsedAt',
  EXPIRES_AT = 'expiresAt',
}
registerEnumType(ApiTokenSortFieldName, { name: 'ApiTokenSortField' });

@ObjectType('ApiTokenPage')
export class ApiTokenPageType extends PageOf(ApiTokenType) {}
