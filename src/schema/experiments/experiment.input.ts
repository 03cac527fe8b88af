import { Field, ID, InputType, Int } from 'type-graphql';

@InputType()
export class RouteVariantInput {
  @Field(() => [ID], { nullable: true })
  channelIds?: string[];

  @Field(() => Boolean, { nullable: true })
  perAlert?: boolean;

  @Field(() => Int, { nullable: true, description: 'Window fields need channels of the variant’s own' })
  groupWaitSeconds?: number | null;

  @Field(() => Int, { nullable: true })
  groupIntervalSeconds?: number | null;

  @Field(() => Int, { nullable: true })
  repeatIntervalSeconds?: number | null;
}

@InputType()
export class RoutingExperimentInput {
  @Field()
  name!: string;

  @Field(() => ID)
  routeId!: string;

  @Field(() => Int, { nullable: true, description: '1 to 99 (default 50)' })
  splitPercent?: number;

  @Field(() => RouteVariantInput)
  variant!: RouteVariantInput;
}
