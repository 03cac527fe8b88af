import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';

@ObjectType('ReplicaHealth', { description: 'One health check of one Alertmanager replica' })
export class ReplicaHealthType {
  @Field()
  url!: string;

  @Field({ description: 'Healthy (/-/healthy) and ready (/-/ready)' })
  up!: boolean;

  @Field(() => Float, { description: 'Time the three checks took together, in ms' })
  responseMs!: number;

  @Field(() => String, { nullable: true, description: 'From /api/v2/status' })
  version!: string | null;

  @Field(() => Int, { nullable: true, description: 'Members of the gossip cluster, from /api/v2/status' })
  peers!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  checkedAt!: Date;
}

@ObjectType('ClusterConfigVersion', { description: 'A rendered, validated alertmanager.yml' })
export class ClusterConfigVersionType {
  @Field(() => Int)
  version!: number;

  @Field({ description: 'sha256 of the content, hex (the ETag sidecars compare)' })
  hash!: string;

  @Field()
  content!: string;

  @Field()
  author!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType('ClusterConfigVersionPage')
export class ClusterConfigVersionPageType {
  @Field(() => [ClusterConfigVersionType])
  items!: ClusterConfigVersionType[];

  @Field(() => Int)
  total!: number;
}

@ObjectType('SyncInstance', { description: 'What one sidecar last reported' })
export class SyncInstanceType {
  @Field()
  instance!: string;

  @Field({ description: 'alertmanager or prometheus' })
  kind!: string;

  @Field(() => String, { nullable: true })
  appliedHash!: string | null;

  @Field({ description: 'The applied config is the desired one' })
  inSync!: boolean;

  @Field(() => Date, { nullable: true })
  lastSuccessAt!: Date | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  lastErrorAt!: Date | null;

  @Field()
  reportedAt!: Date;
}

@ObjectType('ClusterSync', { description: 'Desired config against what each sidecar applied' })
export class ClusterSyncType {
  @Field(() => Int)
  desiredVersion!: number;

  @Field()
  desiredHash!: string;

  @Field(() => [SyncInstanceType])
  instances!: SyncInstanceType[];
}

@ObjectType('Cluster', { description: 'An Alertmanager cluster: its replicas, health, and the config AlertAgent keeps on it' })
export class ClusterType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => [String])
  alertmanagerUrls!: string[];

  @Field(() => [String])
  prometheusUrls!: string[];

  @Field(() => Int)
  syncIntervalSeconds!: number;

  @Field({ description: 'YAML list of routes placed first under the root route' })
  routes!: string;

  @Field({ description: 'YAML list of inhibit rules added to the template’s' })
  inhibitRules!: string;

  @Field({ description: 'healthy, degraded, down, or unknown before the first check' })
  status!: string;

  @Field({ description: 'Where this cluster’s Alertmanager posts alerts (written into its config)' })
  webhookUrl!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'TLS for calls to its Alertmanagers (the client key is never shown; see tlsKeySet)',
  })
  tls!: Record<string, unknown> | null;

  @Field()
  tlsKeySet!: boolean;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType('ClusterWithCredentials', { description: 'Returned once, when credentials are issued: store the tokens now' })
export class ClusterWithCredentialsType {
  @Field(() => ClusterType)
  cluster!: ClusterType;

  @Field({ description: 'Alertmanager’s webhook token (already in the rendered config)' })
  webhookToken!: string;

  @Field({ description: 'For the cluster’s sidecars (--token)' })
  sidecarToken!: string;
}

@ObjectType('AlertmanagerStatus', { description: "A replica's /api/v2/status, from a healthy replica" })
export class AlertmanagerStatusType {
  @Field({ description: 'The replica that answered' })
  servedBy!: string;

  @Field()
  version!: string;

  @Field()
  uptime!: Date;

  @Field({ description: 'Gossip cluster status: ready, settling or disabled' })
  clusterStatus!: string;

  @Field(() => Int)
  peers!: number;

  @Field({ description: 'The config the replica runs, as loaded' })
  config!: string;
}

@ObjectType('Silence')
export class SilenceType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'active, pending or expired' })
  state!: string;

  @Field(() => [String])
  matchers!: string[];

  @Field()
  createdBy!: string;

  @Field()
  comment!: string;

  @Field()
  startsAt!: Date;

  @Field()
  endsAt!: Date;
}

@ObjectType('SilenceList')
export class SilenceListType {
  @Field({ description: 'The replica that answered' })
  servedBy!: string;

  @Field(() => [SilenceType])
  silences!: SilenceType[];
}

@ObjectType('ClusterAlert', { description: 'An alert as the Alertmanager holds it' })
export class ClusterAlertType {
  @Field()
  fingerprint!: string;

  @Field({ description: 'active, suppressed or unprocessed' })
  state!: string;

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => GraphQLJSONObject)
  annotations!: Record<string, string>;

  @Field()
  startsAt!: Date;

  @Field()
  endsAt!: Date;

  @Field(() => [String], { description: 'Receivers the alert is routed to' })
  receivers!: string[];
}

@ObjectType('ClusterAlertList')
export class ClusterAlertListType {
  @Field({ description: 'The replica that answered' })
  servedBy!: string;

  @Field(() => [ClusterAlertType])
  alerts!: ClusterAlertType[];
}

@ObjectType('ClusterHealthEvent', { description: 'A cluster after a round of health checks' })
export class ClusterHealthEventType {
  @Field(() => ID)
  clusterId!: string;

  @Field()
  clusterName!: string;

  @Field()
  status!: string;

  @Field()
  previousStatus!: string;

  @Field(() => [ReplicaHealthType])
  replicas!: ReplicaHealthType[];

  @Field()
  at!: Date;
}

@ObjectType('ClusterSyncEvent', { description: 'A sidecar reported on applying its cluster’s config' })
export class ClusterSyncEventType {
  @Field(() => ID)
  clusterId!: string;

  @Field()
  clusterName!: string;

  @Field()
  instance!: string;

  @Field({ description: 'alertmanager or prometheus' })
  kind!: string;

  @Field()
  desiredHash!: string;

  @Field(() => String, { nullable: true })
  appliedHash!: string | null;

  @Field()
  ok!: boolean;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  at!: Date;
}

export enum ClusterSortFieldName {
  NAME = 'name',
  STATUS = 'status',
  CREATED_AT = 'createdAt',
}
registerEnumType(ClusterSortFieldName, { name: 'ClusterSortField' });

@ObjectType('ClusterPage')
export class ClusterPageType extends PageOf(ClusterType) {}
