import { z } from 'zod';
import type { ChannelEntity } from '../../entities/channels/channel.entity';
import type { ChannelGroupEntity } from '../../entities/channels/channel-group.entity';
import type { DeliveryAttemptEntity } from '../../entities/channels/delivery-attempt.entity';
import { toRoleName } from '../../schema/common/enums';
import type { ChannelDeliveryPolicyInput, ChannelTemplatesInput } from '../../schema/channels/channel.input';
import type {
  ChannelDeliveryPolicyType,
  ChannelGroupType,
  ChannelHealthStatusName,
  ChannelHealthType,
  ChannelKindType,
  ChannelSloStatusName,
  ChannelType,
} from '../../schema/channels/channel.type';
import type { DeliveryAttemptType, DeliveryStatusName, DeliveryType } from '../../schema/channels/delivery.type';
import type { ChannelHealth } from '../../services/channels/channel-health.service';
import type { ChannelPlugin } from '../../services/channels/channel-plugin';
import type { ChannelView } from '../../services/channels/channel.service';
import { policyOf } from '../../services/channels/delivery-policy';
import type { DeliveryRow } from '../../services/channels/delivery.repository';
import { channelPlugin } from '../../services/channels/registry';
import { effectiveLimit } from '../../services/channels/robot-limits';

/** Channels, their groups, kinds, health and deliveries as GraphQL shows them. */

export function toGroupType(group: ChannelGroupEntity): ChannelGroupType {
  return {
    id: group.id,
    name: group.name,
    parentId: group.parent?.id ?? null,
    manageRole: group.manageRole ? toRoleName(group.manageRole) : null,
    createdAt: group.createdAt,
  };
}

export function toKindType(plugin: ChannelPlugin): ChannelKindType {
  return {
    type: plugin.type,
    displayName: plugin.displayName,
    description: plugin.description,
    secretFields: [...plugin.secretFields],
    canProbe: Boolean(plugin.probe),
    robotLimit: plugin.robotLimit ?? null,
    mergesWhenThrottled: Boolean(plugin.mergeBudgetBytes),
    configSchema: z.toJSONSchema(plugin.schema, { io: 'input' }) as Record<string, unknown>,
    defaultTemplates: plugin.defaultTemplates,
  };
}

function toPolicyType(entity: ChannelEntity): ChannelDeliveryPolicyType {
  const policy = policyOf(entity.deliveryPolicy);
  return {
    rateLimit: policy.rateLimit ? effectiveLimit(undefined, policy.rateLimit) : null,
    effectiveRateLimit: effectiveLimit(channelPlugin(entity.type).robotLimit, policy.rateLimit),
    pool: policy.pool,
    backupChannelId: policy.backupChannelId ?? null,
    failoverAfterAttempts: policy.failoverAfterAttempts,
    failoverAfterSeconds: policy.failoverAfterSeconds,
    failoverWhenDown: policy.failoverWhenDown,
    slo: policy.slo ? { ...policy.slo, p95LatencyMs: policy.slo.p95LatencyMs ?? null } : null,
    probeIntervalSeconds: policy.probeIntervalSeconds ?? null,
  };
}

export function toChannelType({ entity, config, secretFieldsSet }: ChannelView): ChannelType {
  return {
    entity,
    deliveryPolicy: toPolicyType(entity),
    id: entity.id,
    name: entity.name,
    type: entity.type,
    config,
    secretFieldsSet,
    group: entity.group ? toGroupType(entity.group) : null,
    tags: entity.tags,
    enabled: entity.enabled,
    templates: entity.templates ?? null,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

export function toHealthType(health: ChannelHealth): ChannelHealthType {
  return {
    ...health,
    status: health.status as ChannelHealthStatusName,
    slo: health.slo
      ? {
          ...health.slo,
          status: health.slo.status as ChannelSloStatusName,
          target: { ...health.slo.target, p95LatencyMs: health.slo.target.p95LatencyMs ?? null },
        }
      : null,
  };
}

export function toDeliveryType(delivery: DeliveryRow, channelName: string): DeliveryType {
  return {
    id: delivery.id,
    channelId: delivery.channelId,
    channelName,
    status: delivery.status as DeliveryStatusName,
    source: delivery.source,
    idempotencyKey: delivery.idempotencyKey,
    attempts: delivery.attempts,
    maxAttempts: delivery.maxAttempts,
    nextAttemptAt: delivery.nextAttemptAt,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt,
    deliveredAt: delivery.deliveredAt,
    failoverDeliveryId: delivery.failoverDeliveryId,
  };
}

export function toAttemptType(attempt: DeliveryAttemptEntity): DeliveryAttemptType {
  return {
    attempt: attempt.attempt,
    ok: attempt.ok,
    retryable: attempt.retryable,
    status: attempt.httpStatus ?? null,
    latencyMs: attempt.latencyMs,
    error: attempt.error ?? null,
    peerAnswer: attempt.peerAnswer ?? null,
    createdAt: attempt.createdAt,
    carried: attempt.carried,
    robotChannelId: attempt.robotChannelId ?? null,
    failoverDeliveryId: attempt.failoverDeliveryId ?? null,
  };
}

/** type-graphql hands over class instances; the service validates plain objects. */
export function plainTemplates(templates: ChannelTemplatesInput | null | undefined): Record<string, string> | null {
  if (!templates) return null;
  return Object.fromEntries(Object.entries(templates).filter(([, v]) => v !== undefined && v !== null));
}

/** A policy input as plain data; fields given as null take their defaults, as omitted ones do. */
export function plainPolicy(policy: ChannelDeliveryPolicyInput | null | undefined): Record<string, unknown> | null {
  if (!policy) return null;
  return JSON.parse(JSON.stringify(policy, (_key, value: unknown) => (value === null ? undefined : value))) as Record<string, unknown>;
}
