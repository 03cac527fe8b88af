import { ArgsType, Field, ID } from 'type-graphql';
import { PageArgs } from '../common/page.args';
import { DeliveryStatusName } from './delivery.type';

@ArgsType()
export class DeliveriesArgs extends PageArgs {
  @Field(() => ID, { nullable: true })
  channelId?: string | null;

  @Field(() => DeliveryStatusName, { nullable: true })
  status?: DeliveryStatusName | null;
}
