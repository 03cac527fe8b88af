import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageArgs } from '../common/page.args';

export enum DeliveryStatusName {
  PENDING = 'pending',
  SENDING = 'sending',
  RETRYING = 'retrying',
  DELIVERED = 'delivered',
  FAILED = 'failed',
}
registerEnumType(DeliveryStatusName, { name: 'DeliveryStatus' });

@ObjectType('DeliveryAttempt', { description: 'One try at a delivery and what the peer answered' })
export class DeliveryAttemptType {
  @Field(() => Int)
  attempt!: number;

  @Field()
  ok!: boolean;

  @Field({ description: 'Whether the failure was judged worth retrying' })
  retryable!: boolean;

  @Field(() => Int, { nullable: true, description: 'HTTP or SMTP status of the answer' })
  status!: number | null;

  @Field(() => Float)
  latencyMs!: number;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => String, { nullable: true, description: 'Start of the peer answer' })
  peerAnswer!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('Delivery', { description: 'A message owed to a channel, with every attempt' })
export class DeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  channelId!: string;

  @Field()
  channelName!: string;

  @Field(() => DeliveryStatusName)
  status!: DeliveryStatusName;

  @Field()
  source!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int)
  maxAttempts!: number;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;
}

@ObjectType('DeliveryPage')
export class DeliveryPageType {
  @Field(() => [DeliveryType])
  items!: DeliveryType[];

  @Field(() => Int)
  total!: number;
}

@ArgsType()
export class DeliveriesArgs extends PageArgs {
  @Field(() => ID, { nullable: true })
  channelId?: string | null;

  @Field(() => DeliveryStatusName, { nullable: true })
  status?: DeliveryStatusName | null;
}
