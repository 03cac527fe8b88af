import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SimulationStateValue {
  QUEUED = 'queued',
  RUNNING = 'running',
  COMPLETED = 'completed',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}
registerEnumType(SimulationStateValue, { name: 'SimulationState' });

@ObjectType('SimulationCount', { description: 'A count in the replay against the same count in what really happened' })
export class SimulationCountType {
  @Field(() => Int)
  simulated!: number;

  @Field(() => Int)
  actual!: number;
}

@ObjectType('SimulationChannelCount')
export class SimulationChannelCountType extends SimulationCountType {
  @Field(() => ID)
  channelId!: string;

  @Field(() => String, { nullable: true, description: 'Null when the channel no longer exists' })
  channelName!: string | null;
}

@ObjectType('SimulationRouteCount', { description: 'Messages the replay sent by one route (alerts, and held-back alerts released later)' })
export class SimulationRouteCountType {
  @Field({ description: "The route's id, or proposed-route-N for the N-th proposed route (from 0)" })
  routeId!: string;

  @Field()
  routeName!: string;

  @Field(() => Int)
  notifications!: number;

  @Field(() => Int)
  alerts!: number;
}

@ObjectType('SimulationKindCount', {
  description:
    'Messages of one kind: alerts, convergence-summary, flap-summary, incident-update, incident-resolution, inhibition-release, maintenance-release, route-window',
})
export class SimulationKindCountType extends SimulationCountType {
  @Field()
  kind!: string;
}

@ObjectType('SimulationStateCount', {
  description:
    'Alerts that ended in one state: sent (delivered, failed or on their way), unrouted, duplicate, suppressed, inhibited, flapping, grouped, converged, batched',
})
export class SimulationStateCountType extends SimulationCountType {
  @Field()
  state!: string;
}

@ObjectType('SimulationIncidents')
export class SimulationIncidentsType {
  @Field(() => Int)
  simulatedOpened!: number;

  @Field(() => Int, { description: 'Resolved incidents reopened within their grace period in the replay' })
  simulatedReopened!: number;

  @Field(() => Int, { description: 'Incidents really opened in the range' })
  actualOpened!: number;
}

@ObjectType('SimulationChangedAlert', { description: 'A recorded alert whose fate the proposal changes' })
export class SimulationChangedAlertType {
  @Field(() => ID)
  recordId!: string;

  @Field(() => ID)
  receiptId!: string;

  @Field(() => Date)
  receivedAt!: Date;

  @Field()
  alertname!: string;

  @Field()
  fingerprint!: string;

  @Field()
  status!: string;

  @Field({ description: "The record's state" })
  actualState!: string;

  @Field({ description: 'What the replay did with it' })
  simulatedState!: string;

  @Field(() => String, { nullable: true, description: 'Why the replay held it back' })
  detail!: string | null;
}

@ObjectType('SimulationChangedAlerts')
export class SimulationChangedAlertsType {
  @Field(() => Int)
  count!: number;

  @Field(() => [SimulationChangedAlertType], { description: 'The first 50, in time order' })
  sample!: SimulationChangedAlertType[];
}

@ObjectType('SimulationResult')
export class SimulationResultType {
  @Field(() => Int)
  receipts!: number;

  @Field(() => Int)
  alerts!: number;

  @Field(() => SimulationCountType, { description: 'Messages handed to channels' })
  notifications!: SimulationCountType;

  @Field(() => [SimulationChannelCountType])
  byChannel!: SimulationChannelCountType[];

  @Field(() => [SimulationRouteCountType])
  byRoute!: SimulationRouteCountType[];

  @Field(() => [SimulationKindCountType])
  byKind!: SimulationKindCountType[];

  @Field(() => [SimulationStateCountType])
  alertStates!: SimulationStateCountType[];

  @Field(() => SimulationIncidentsType)
  incidents!: SimulationIncidentsType;

  @Field(() => SimulationChangedAlertsType, { description: 'Alerts that really went out and the replay holds back' })
  newlyHeld!: SimulationChangedAlertsType;

  @Field(() => SimulationChangedAlertsType, { description: 'Alerts that were really held back (or unrouted) and the replay sends' })
  newlySent!: SimulationChangedAlertsType;
}

@ObjectType('GatewaySimulation', { description: 'A replay of recorded receipts through a proposed gateway configuration, sending nothing' })
export class GatewaySimulationType {
  @Field(() => ID)
  id!: string;

  @Field(() => SimulationStateValue)
  state!: SimulationStateValue;

  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;

  @Field(() => [String], { description: 'The flags the replay plays as on' })
  flags!: string[];

  @Field(() => Int, { description: 'Receipts in the range (known once it runs)' })
  receiptsTotal!: number;

  @Field(() => Int)
  receiptsDone!: number;

  @Field({ description: 'A cancel was asked for; it takes effect at the next page of receipts' })
  cancelRequested!: boolean;

  @Field(() => SimulationResultType, { nullable: true, description: 'Set once completed' })
  result!: SimulationResultType | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  requestedBy!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;
}
