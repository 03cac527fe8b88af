import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, UseMiddleware, type PubSub } from 'type-graphql';
import { authChecker } from '../graphql/auth-checker';
import { deadlineMiddleware } from '../graphql/operation-guard';
import { ApiTokenResolver } from '../resolvers/api-token.resolver';
import { AccessRoleResolver } from '../resolvers/access-role.resolver';
import { AlertRecordDeliveriesResolver, ChannelResolver, DeliveryResolver } from '../resolvers/channel.resolver';
import { ClusterResolver } from '../resolvers/cluster.resolver';
import { RuleGroupFieldsResolver, RuleResolver } from '../resolvers/rule.resolver';
import { AnalysisResolver } from '../resolvers/analysis.resolver';
import { AuditResolver } from '../resolvers/audit.resolver';
import { FlagsResolver } from '../resolvers/flags.resolver';
import { MaturityResolver } from '../resolvers/maturity.resolver';
import { AlertRecordAckResolver, EscalationResolver } from '../resolvers/escalation.resolver';
import { RemediationResolver } from '../resolvers/remediation.resolver';
import { ExperimentResolver } from '../resolvers/experiment.resolver';
import { GatewayResolver } from '../resolvers/gateway.resolver';
import { IncidentResolver } from '../resolvers/incident.resolver';
import { InhibitionResolver } from '../resolvers/inhibition.resolver';
import { MaintenanceResolver } from '../resolvers/maintenance.resolver';
import { SimulationResolver } from '../resolvers/simulation.resolver';
import { ImportResolver } from '../resolvers/import.resolver';
import { SystemResolver } from '../resolvers/system.resolver';
import type { Services } from '../services';
import { AlertRecordRepository } from '../services/gateway/alert-record.repository';
import type { EventBus } from '../services/pubsub/event-bus';
import type { EventName } from '../services/pubsub/event-map';

export const RESOLVER_CLASSES = [
  SystemResolver,
  FlagsResolver,
  ApiTokenResolver,
  AuditResolver,
  ChannelResolver,
  DeliveryResolver,
  AlertRecordDeliveriesResolver,
  GatewayResolver,
  IncidentResolver,
  InhibitionResolver,
  MaintenanceResolver,
  SimulationResolver,
  ImportResolver,
  ClusterResolver,
  RuleResolver,
  RuleGroupFieldsResolver,
  AnalysisResolver,
  MaturityResolver,
  EscalationResolver,
  AlertRecordAckResolver,
  RemediationResolver,
  ExperimentResolver,
  AccessRoleResolver,
] as const;

// Every resolver method (queries, mutations, subscriptions, field resolvers) stops at the operation's deadline.
for (const resolverClass of RESOLVER_CLASSES) UseMiddleware(deadlineMiddleware)(resolverClass);

/** Builds each resolver once from the services; type-graphql asks this container for them. */
// biome-ignore lint/complexity/noBannedTypes: type-graphql's container is keyed by resolver classes, typed Function there
function resolverInstances(services: Services): Map<Function, object> {
  // biome-ignore lint/complexity/noBannedTypes: as above
  return new Map<Function, object>([
    [SystemResolver, new SystemResolver(services.system)],
    [FlagsResolver, new FlagsResolver(services.flags, services.flagOverrides)],
    [ApiTokenResolver, new ApiTokenResolver(services.apiTokens)],
    [AuditResolver, new AuditResolver(services.audit)],
    [ChannelResolver, new ChannelResolver(services.channels, services.deliveries, services.channelHealth)],
    [DeliveryResolver, new DeliveryResolver(services.deliveryRecords, services.channels)],
    [AlertRecordDeliveriesResolver, new AlertRecordDeliveriesResolver(services.deliveryRecords, services.channels)],
    [GatewayResolver, new GatewayResolver(services.routes, new AlertRecordRepository(services.storage.orm.em), services.channels)],
    [IncidentResolver, new IncidentResolver(services.policies, services.incidents)],
    [InhibitionResolver, new InhibitionResolver(services.inhibitions)],
    [MaintenanceResolver, new MaintenanceResolver(services.maintenanceWindows)],
    [SimulationResolver, new SimulationResolver(services.simulations)],
    [ImportResolver, new ImportResolver(services.alertmanagerImport)],
    [ClusterResolver, new ClusterResolver(services.clusters, services.clusterHealth, services.alertmanagers)],
    [RuleResolver, new RuleResolver(services.rules, services.clusters)],
    [RuleGroupFieldsResolver, new RuleGroupFieldsResolver(services.rules)],
    [AnalysisResolver, new AnalysisResolver(services.analysis, services.analysisProviders)],
    [MaturityResolver, new MaturityResolver(services.maturity)],
    [EscalationResolver, new EscalationResolver(services.escalationPolicies, services.acks, services.incidents)],
    [AlertRecordAckResolver, new AlertRecordAckResolver(services.acks)],
    [ExperimentResolver, new ExperimentResolver(services.experiments)],
    [RemediationResolver, new RemediationResolver(services.remediationActions, services.remediator, services.storage.orm)],
    [AccessRoleResolver, new AccessRoleResolver(services.roles)],
  ]);
}

/** Lets type-graphql's `topics` subscriptions read from our typed bus. */
function pubSubOver(events: EventBus): PubSub {
  return {
    publish: (name, payload) => void events.publish(name as EventName, payload as never),
    subscribe: (name) => events.subscribe(name as EventName),
  };
}

const unwired: PubSub = {
  publish: () => {
    throw new Error('schema built without services');
  },
  subscribe: () => {
    throw new Error('schema built without services');
  },
};

/** The executable schema; without services it is only good for printing the SDL. */
export async function buildAppSchema(services?: Services): Promise<GraphQLSchema> {
  // biome-ignore lint/complexity/noBannedTypes: as above
  const instances = services ? resolverInstances(services) : new Map<Function, object>();
  return buildSchema({
    resolvers: [...RESOLVER_CLASSES],
    authChecker,
    authMode: 'error',
    // Not globalMiddlewares: those wrap every field of every object (four times the cost of a long list).
    validate: false,
    pubSub: services ? pubSubOver(services.events) : unwired,
    container: {
      // biome-ignore lint/complexity/noBannedTypes: as above
      get: (cls: Function) => {
        const instance = instances.get(cls);
        if (!instance) throw new Error(`no resolver instance for ${cls.name}`);
        return instance;
      },
    },
  });
}

export const SDL_HEADER = '# Generated by `npm run docs` from the type-graphql classes. Do not edit by hand.\n\n';

/** The published contract: sorted so diffs show real changes only. */
export async function printAppSchema(): Promise<string> {
  return `${SDL_HEADER + printSchema(lexicographicSortSchema(await buildAppSchema()))}\n`;
}
