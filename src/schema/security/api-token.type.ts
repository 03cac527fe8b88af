import { Field, ID, ObjectType } from 'type-graphql';
import { RoleName } from '../common/enums';

@ObjectType('ApiToken', { description: 'A bearer credential; the secret itself is shown only when created' })
export class ApiTokenType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => RoleName)
  role!: RoleName;

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

  @Field(() => RoleName)
  role!: RoleName;
}
