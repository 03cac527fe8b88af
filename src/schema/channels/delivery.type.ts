import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum DeliveryStatusName {
  PENDING = 'pending',
  QUEUED = 'queued',
  SENDING = 'sending',
  RETRYING = 'retrying',
  DELIVERED = 'delivered',
  FAILED = 'failed',
}
registerEnumType(DeliveryStatusName, {
  name: 'DeliveryStatus',
  valuesConfig: {
    QUEUED: { description: "Waiting in the channel's queue for its robot (rate limit); leaves it first-critical-first, then oldest first" },
  },
});

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

  @Field(() => Int, {
    description:
      'Deliveries the message carried: more than 1 when merged while the robot was at its limit; 0 when nothing was sent (handed over at once)',
  })
  carried!: number;

  @Field(() => ID, { nullable: true, description: "The pool member whose robot carried the message, when not the channel's own" })
  robotChannelId!: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Set on the attempt after which the message was handed over to the backup channel: that delivery',
  })
  failoverDeliveryId!: string | null;
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

  @Field(() => ID, { nullable: true, description: 'The delivery to the backup channel this one was handed over to' })
  failoverDeliveryId!: string | null;
}

@ObjectType('DeliveryPage')
export class DeliveryPageType {
  @Field(() => [DeliveryType])
  items!: DeliveryType[];

  @Field(() => Int)
  total!: number;
}
