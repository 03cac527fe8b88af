import { ArgsType, Field, ID } from 'type-graphql';
import { ListArgs } from '../common/list.args';
import { PageArgs } from '../common/page.args';
import { RouteSortFieldName } from './gateway.type';

@ArgsType()
export class AlertRecordsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  state?: string | null;

  @Field(() => String, { nullable: true })
  fingerprint?: string | null;

  @Field(() => [String], { nullable: true, description: 'Label equalities, each name=value (all must hold)' })
  labels?: string[] | null;
}

/** Filters shared by the record list and the live stream. */
@ArgsType()
export class AlertFilterArgs {
  @Field(() => String, { nullable: true })
  cluster?: string | null;

  @Field(() => String, { nullable: true })
  severity?: string | null;

  @Field(() => String, { nullable: true })
  alertname?: string | null;

  @Field(() => String, { nullable: true, description: 'firing or resolved' })
  status?: string | null;
}

@ArgsType()
export class RoutesArgs extends ListArgs {
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'Routes that deliver to this channel' })
  channelId?: string | null;

  @Field(() => RouteSortFieldName, { defaultValue: RouteSortFieldName.POSITION, description: 'By default the order routes are tried in' })
  sortBy!: RouteSortFieldName;
}
