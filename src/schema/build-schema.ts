import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, UseMiddleware, type PubSub } from 'type-graphql';
import { authChecker } from '../graphql/auth-checker';
import { deadlineMiddleware } from '../graphql/operation-guard';
import { ApiTokenResolver } from '../resolvers/api-token.resolver';
import { AccessRoleResolver } from '../resolvers/access-role.resolver';
import { ChannelResolver } from '../resolvers/channel.resolver';
import { ChannelGroupResolver } from '../resolvers/channel-group.resolver';
import { AlertRecordDeliveriesResolver, DeliveryResolver } from '../resolvers/delivery.resolver';
import { ClusterResolver } from '../resolvers/cluster.resolver';
import { ClusterConfigResolver } from '../resolvers/cluster-config.resolver';
import { AlertmanagerResolver } from '../resolvers/alertmanager.resolver';
import { RuleResolver } from '../resolvers/rule.resolver';
import { ClusterRulesResolver, RuleGroupFieldsResolver } from '../resolvers/rule-fields.resolver';
import { AnalysisResolver } from '../resolvers/analysis.resolver';
import { AnalysisProviderResolver } from '../resolvers/analysis-provider.resolver';
import { AuditResolver } from '../resolvers/audit.resolver';
import { FlagsResolver } from '../resolvers/flags.resolver';
import { MaturityResolver } from '../resolvers/maturity.resolver';
import { AlertRecordAckResolver, EscalationResolver } from '../resolvers/escalation.resolver';
import { RemediationResolver } from '../resolvers/remediation.resolver';
import { ExperimentResolver } from '../resolvers/experiment.resolver';
import { GatewayResolver } from '../resolvers/gateway.resolver';
import { RouteResolver } from '../resolvers/route.resolver';
import { IncidentResolver } from '../resolvers/incident.resolver';
import { InhibitionResolver } from '../resolvers/inhibition.resolver';
import { MaintenanceResolver } from '../resolvers/maintenance.resolver';
import { SimulationResolver } from '../resolvers/simulation.resolver';
import { ImportResolver } from '../resolvers/import.resolver';
import { SystemResolver } from '../resolvers/system.resolver';
import type { Services } from '../services';
import type { EventBus, IterateOptions } from '../services/pubsub/event-bus';
import type { EventName } from '../services/pubsub/event-map';

export const RESOLVER_CLASSES = [
  SystemResolver,
  FlagsResolver,
  ApiTokenResolver,
  AuditResolver,
  ChannelResolver,
  ChannelGroupResolver,
  DeliveryResolver,
  AlertRecordDeliveriesResolver,
  GatewayResolver,
  RouteResolver,
  IncidentResolver,
  InhibitionResolver,
  MaintenanceResolver,
  SimulationResolver,
  ImportResolver,
  ClusterResolver,
  ClusterConfigResolver,
  AlertmanagerResolver,
  RuleResolver,
  RuleGroupFieldsResolver,
  ClusterRulesResolver,
  AnalysisResolver,
  AnalysisProviderResolver,
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
    [ChannelGroupResolver, new ChannelGroupResolver(services.channels)],
    [DeliveryResolver, new DeliveryResolver(services.deliveries)],
    [AlertRecordDeliveriesResolver, new AlertRecordDeliveriesResolver(services.deliveries)],
    [GatewayResolver, new GatewayResolver(services.alertRecords)],
    [RouteResolver, new RouteResolver(services.routes, services.channels)],
    [IncidentResolver, new IncidentResolver(services.policies, services.incidents)],
    [InhibitionResolver, new InhibitionResolver(services.inhibitions)],
    [MaintenanceResolver, new MaintenanceResolver(services.maintenanceWindows)],
    [SimulationResolver, new SimulationResolver(services.simulations)],
    [ImportResolver, new ImportResolver(services.alertmanagerImport)],
    [ClusterResolver, new ClusterResolver(services.clusters, services.clusterHealth)],
    [ClusterConfigResolver, new ClusterConfigResolver(services.clusters)],
    [AlertmanagerResolver, new AlertmanagerResolver(services.clusters, services.alertmanagers)],
    [RuleResolver, new RuleResolver(services.rules, services.clusters)],
    [RuleGroupFieldsResolver, new RuleGroupFieldsResolver(services.rules)],
    [ClusterRulesResolver, new ClusterRulesResolver(services.rules, services.clusters)],
    [AnalysisResolver, new AnalysisResolver(services.analysis)],
    [AnalysisProviderResolver, new AnalysisProviderResolver(services.analysisProviders)],
    [MaturityResolver, new MaturityResolver(services.maturity)],
    [EscalationResolver, new EscalationResolver(services.escalationPolicies, services.acks, services.incidents)],
    [AlertRecordAckResolver, new AlertRecordAckResolver(services.acks)],
    [ExperimentResolver, new ExperimentResolver(services.experiments)],
    [RemediationResolver, new RemediationResolver(services.remediationActions, services.remediator)],
    [AccessRoleResolver, new AccessRoleResolver(services.roles)],
  ]);
}

/** Lets type-graphql's `topics` subscriptions read from our typed bus. */
function pubSubOver(events: EventBus, lag: IterateOptions): PubSub {
  return {
    publish: (name, payload) => void events.publish(name as EventName, payload as never),
    subscribe: (name) => events.subscribe(name as EventName, lag),
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
    pubSub: services
      ? pubSubOver(services.events, {
          maxLagMs: services.config.server.subscriptionMaxLagMs,
          onStale: (count) => services.metrics.subscriptionStale.inc(count),
        })
      : unwired,
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
