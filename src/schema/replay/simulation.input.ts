import { Field, InputType } from 'type-graphql';
import { RouteInput } from '../gateway/gateway.input';
import { CorrelationPolicyInput } from '../incidents/incident.input';
import { InhibitionRuleInput } from '../inhibition/inhibition.input';
import { MaintenanceWindowInput } from '../maintenance/maintenance.input';

@InputType({ description: 'A flag switched on or off for a replay' })
export class ProposedFlagInput {
  @Field({
    description: 'One of gateway.convergence, gateway.grouping, gateway.inhibition, gateway.maintenance, gateway.advanced-convergence',
  })
  name!: string;

  @Field()
  enabled!: boolean;
}

@InputType({
  description:
    'What a replay tries instead of what is in force. A part left out is taken as in force when the replay runs; a part given replaces it whole (an empty list: none).',
})
export class GatewayProposalInput {
  @Field(() => [RouteInput], { nullable: true, description: 'The routes in order (positions are ignored)' })
  routes?: RouteInput[] | null;

  @Field(() => [CorrelationPolicyInput], { nullable: true, description: 'Correlation policies in order' })
  correlationPolicies?: CorrelationPolicyInput[] | null;

  @Field(() => [InhibitionRuleInput], { nullable: true })
  inhibitionRules?: InhibitionRuleInput[] | null;

  @Field(() => [MaintenanceWindowInput], { nullable: true, description: 'Windows need only open at or after the start of the range' })
  maintenanceWindows?: MaintenanceWindowInput[] | null;

  @Field(() => [ProposedFlagInput], { nullable: true, description: 'Flags not named here are played as they are now' })
  flags?: ProposedFlagInput[] | null;
}
