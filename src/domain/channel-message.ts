/** One alert as channels render it (the Alertmanager webhook's alert, minus transport details). */
export interface AlertView {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
}

/** Set on a message that updates or resolves an incident (flag gateway.grouping): it is not a new problem. */
export interface IncidentNotice {
  id: string;
  title: string;
  notice: 'update' | 'resolved';
  /** 1 for the first notification after the first notice, and so on. */
  sequence: number;
  openedAt: string;
  /** Alerts of the incident firing now, and in all. */
  firing: number;
  total: number;
  /** Alerts that joined, and that resolved, since the last notification. */
  added: number;
  resolved: number;
}

/** What a channel is asked to deliver: a group of alerts, or a test message. */
export interface ChannelMessage {
  kind: 'alerts' | 'test';
  status: 'firing' | 'resolved';
  alerts: AlertView[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL?: string;
  receiver?: string;
  groupKey?: string;
  truncatedAlerts?: number;
  incident?: IncidentNotice;
}
