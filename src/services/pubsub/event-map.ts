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


export interface RoutesChangedEvent {
  at: string;
}

/** What happened to an alert on its way through the gateway. */
export interface GatewayEvent {
  type: 'received' | 'routed' | 'delivered' | 'resolved' | 'failed' | 'unrouted' | 'duplicate' | 'converged';
  recordId: string;
  receiptId: string;
  fingerprint: string;
  alertname: string;
  severity: string | null;
  cluster: string | null;
  status: 'firing' | 'resolved';
  at: string;
  detail: string | null;
}

/** Every event that crosses the bus, by name. Payloads are JSON-safe (dates as ISO strings). */
export interface EventMap {
  'audit.recorded': AuditRecordedEvent;
  'flags.changed': FlagsChangedEvent;
  'routes.changed': RoutesChangedEvent;
  'gateway.event': GatewayEvent;
}

export type EventName = keyof EventMap;
