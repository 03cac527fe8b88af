/** An administrative action as streamed to subscribers. */
export interface AuditRecordedEvent {
  id: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  createdAt: string;
}

export interface FlagsChangedEvent {
  names: string[];
  source: 'unleash' | 'bootstrap';
  at: string;
}


/** Every event that crosses the bus, by name. Payloads are JSON-safe (dates as ISO strings). */
export interface EventMap {
  'audit.recorded': AuditRecordedEvent;
  'flags.changed': FlagsChangedEvent;
}

export type EventName = keyof EventMap;
export const EVENT_NAMES: EventName[] = ['audit.recorded', 'flags.changed'];
