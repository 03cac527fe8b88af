import { Field, InputType, Int } from 'type-graphql';
import { RoleName } from '../common/enums';

@InputType()
export class CreateApiTokenInput {
  @Field({ description: 'Who or what uses the token, e.g. "grafana" or "ci-pipeline"' })
  name!: string;

  @Field(() => RoleName)
  role!: RoleName;

  @Field(() => Int, { nullable: true, description: 'Expiry in days from now; no expiry when omitted' })
  expiresInDays?: number | null;
}
