import { Field, Float, ID, InputType, Int } from 'type-graphql';

@InputType()
export class FollowUpRuleInput {
  @Field(() => String, { nullable: true, description: 'A team name; the analysis is asked to suggest one of the teams routes name' })
  team?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A category such as database, network, disk; a team or a category (or both) is needed',
  })
  category?: string | null;

  @Field(() => Float, { nullable: true, description: '0 to 1 (default 0.7)' })
  minConfidence?: number;

  @Field(() => [ID], { description: '1 to 20 channels; those the route already sends to are skipped' })
  channelIds!: string[];
}

/** A route's fields but its name, all optional (a base of the two inputs below; not in the schema itself). */
@InputType('RouteFields')
export abstract class RouteFields {
  @Field(() => [String], { nullable: true })
  matchers?: string[];

  @Field(() => [ID], { nullable: true })
  channelIds?: string[];

  @Field({ nullable: true })
  continueMatching?: boolean;

  @Field({ nullable: true, description: 'One message per alert instead of one per webhook group (default false)' })
  perAlert?: boolean;

  @Field({ nullable: true })
  isDefault?: boolean;

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => Int, { nullable: true })
  position?: number;

  @Field(() => ID, { nullable: true })
  analysisProviderId?: string | null;

  @Field(() => [FollowUpRuleInput], {
    nullable: true,
    description: 'Smart routing follow-ups (flag routing.smart); need analysisProviderId',
  })
  followUps?: FollowUpRuleInput[];

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window (flag gateway.advanced-convergence): how long the first alert of an idle route waits for others to go with it, 0 to 3600 s (default 0: at once)',
  })
  groupWaitSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window: at most one message per channel this often; alerts in between go together at the next tick, 1 to 86400 s (default 300)',
  })
  groupIntervalSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window: a firing alert already told is told again only after this long, 60 s to 7 days, at least the group interval (default 14400)',
  })
  repeatIntervalSeconds?: number | null;
}

@InputType()
export class RouteInput extends RouteFields {
  @Field()
  name!: string;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class RouteUpdateInput extends RouteFields {
  @Field({ nullable: true })
  name?: string;
}
