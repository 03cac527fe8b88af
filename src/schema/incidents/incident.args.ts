import { ArgsType, Field } from 'type-graphql';
import { PageArgs } from '../common/page.args';
import { IncidentStateValue } from './incident.type';

@ArgsType()
export class IncidentsArgs extends PageArgs {
  @Field(() => IncidentStateValue, { nullable: true })
  state?: IncidentStateValue | null;

  @Field(() => String, { nullable: true })
  policyName?: string | null;
}
