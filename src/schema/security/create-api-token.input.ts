import { Field, InputType, Int } from 'type-graphql';
import { RoleName } from '../common/enums';

@InputType()
export class CreateApiTokenInput {
  @Field({ description: 'Who or what uses the token, e.g. "grafana" or "ci-pipeline"' })
  name!: string;

  @Field(() => RoleName, { nullable: true, description: 'A built-in role; give this or customRole' })
  role?: RoleName | null;

  @Field(() => String, { nullable: true, description: 'The name of a role an admin defined (see accessRoles); give this or role' })
  customRole?: string | null;

  @Field(() => Int, { nullable: true, description: 'Expiry in days from now; no expiry when omitted' })
  expiresInDays?: number | null;
}
