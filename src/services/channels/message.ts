import type { ChannelMessage } from '../../domain/channel-message';

export type { AlertView, ChannelMessage, IncidentNotice } from '../../domain/channel-message';

export function testMessage(channelName: string, now = new Date()): ChannelMessage {
  return {
    kind: 'test',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'AlertAgentTest', severity: 'info', channel: channelName },
        annotations: {
          summary: `Test message from AlertAgent to channel "${channelName}"`,
          description: 'If you can read this, the channel works.',
        },
        startsAt: now.toISOString(),
      },
    ],
    groupLabels: { alertname: 'AlertAgentTest' },
    commonLabels: { alertname: 'AlertAgentTest', severity: 'info' },
    commonAnnotations: {},
  };
}
