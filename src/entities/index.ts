import { ChannelGroupEntity } from './channels/channel-group.entity';
import { ChannelEntity } from './channels/channel.entity';
import { DeliveryAttemptEntity } from './channels/delivery-attempt.entity';
import { DeliveryEntity } from './channels/delivery.entity';
import { ClusterConfigVersionEntity } from './clusters/cluster-config-version.entity';
import { ClusterEntity } from './clusters/cluster.entity';
import { ReplicaCheckEntity } from './clusters/replica-check.entity';
import { SyncStatusEntity } from './clusters/sync-status.entity';
import { RuleGroupEntity } from './rules/rule-group.entity';
import { RuleGroupVersionEntity } from './rules/rule-group-version.entity';
import { AlertAnalysisEntity } from './analysis/alert-analysis.entity';
import { AnalysisProviderEntity } from './analysis/analysis-provider.entity';
import { AlertReceiptEntity } from './gateway/alert-receipt.entity';
import { AlertRecordEntity } from './gateway/alert-record.entity';
import { GatewayRouteEntity } from './gateway/gateway-route.entity';
import { GatewaySimulationEntity } from './gateway/gateway-simulation.entity';
import { RouteWindowAlertEntity, RouteWindowEntity } from './gateway/route-window.entity';
import { MaintenanceSilenceEntity, MaintenanceWindowEntity, SuppressedAlertEntity } from './gateway/maintenance.entity';
import { InhibitedAlertEntity, InhibitionRuleEntity, InhibitionSourceEntity } from './gateway/inhibition.entity';
import { CorrelationPolicyEntity, IncidentAlertEntity, IncidentEntity, IncidentNotificationEntity } from './gateway/incident.entity';
import { FlagOverrideEntity, FlagStateEntity } from './flags/flag.entity';
import { AiFeatureStateEntity, AiMaturityEntity } from './analysis/ai-maturity.entity';
import { RoutingExperimentEntity } from './experiments/routing-experiment.entity';
import { AutomationExecutionEntity, RemediationActionEntity } from './remediation/remediation.entity';
import { AckLinkUseEntity, AlertAckEntity, EscalationEntity, EscalationPolicyEntity } from './escalation/escalation.entity';
import { ApiTokenEntity } from './security/api-token.entity';
import { AuditEventEntity } from './security/audit-event.entity';
import { RoleEntity } from './security/role.entity';

/** Every entity MikroORM knows; listed explicitly so compiled and ts-jest runs discover the same set. */
export const ENTITIES = [
  ApiTokenEntity,
  AuditEventEntity,
  ChannelGroupEntity,
  ChannelEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
  GatewayRouteEntity,
  AlertReceiptEntity,
  AlertRecordEntity,
  ClusterEntity,
  ReplicaCheckEntity,
  ClusterConfigVersionEntity,
  SyncStatusEntity,
  RuleGroupEntity,
  RuleGroupVersionEntity,
  AnalysisProviderEntity,
  AlertAnalysisEntity,
  RoleEntity,
  CorrelationPolicyEntity,
  IncidentEntity,
  IncidentAlertEntity,
  IncidentNotificationEntity,
  InhibitionRuleEntity,
  InhibitionSourceEntity,
  InhibitedAlertEntity,
  MaintenanceWindowEntity,
  SuppressedAlertEntity,
  GatewaySimulationEntity,
  RouteWindowEntity,
  RouteWindowAlertEntity,
  MaintenanceSilenceEntity,
  FlagOverrideEntity,
  FlagStateEntity,
  AiMaturityEntity,
  AiFeatureStateEntity,
  EscalationPolicyEntity,
  EscalationEntity,
  AlertAckEntity,
  AckLinkUseEntity,
  RemediationActionEntity,
  AutomationExecutionEntity,
  RoutingExperimentEntity,
];
