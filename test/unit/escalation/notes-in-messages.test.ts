import type { AlertRecordEntity } from '../../../src/entities/gateway/alert-record.entity';
import { recordMessage } from '../../../src/services/channels/record-message';
import { CHANNEL_PLUGINS } from '../../../src/services/channels/registry';
import { renderDefaultTemplates } from '../../../src/services/channels/template-engine';

const record = {
  alertname: 'DiskFull',
  status: 'firing',
  labels: { alertname: 'DiskFull', severity: 'critical', instance: 'pg-2' },
  annotations: { summary: 'disk 97% full' },
  startsAt: new Date('2026-12-07T10:00:00Z'),
  endsAt: null,
  generatorUrl: null,
  fingerprint: 'a1b2c3d4e5f6a7b8',
} as unknown as AlertRecordEntity;

const ACK = 'https://alertagent.example.com/ack/eyJ0Ijp7fX0.c2ln';

describe('what AlertAgent adds to an alert told again, in every channel’s default templates', () => {
  it('shows why it is told, the analysis and the link to act, on every channel type', async () => {
    const escalation = recordMessage(
      record,
      {
        escalation: 'Not acknowledged 10 min after the first notice: level 1 of 2 of escalation policy disk',
        analysis_root_cause: 'the WAL volume is full',
        analysis_confidence: '0.87',
        analysis_suggested_actions: 'grow the volume',
        acknowledge: ACK,
      },
      'escalation:disk',
    );
    for (const plugin of CHANNEL_PLUGINS) {
      const rendered = await renderDefaultTemplates(plugin.defaultTemplates, escalation);
      const shown = `${rendered.body}\n${rendered.html ?? ''}`;
      expect(`${plugin.type}: ${shown.includes('level 1 of 2 of escalation policy disk')}`).toBe(`${plugin.type}: true`);
      expect(shown).toContain('the WAL volume is full');
      expect(shown).toContain('(confidence 0.87)');
      expect(shown).toContain(ACK);
    }
    const approval = recordMessage(
      record,
      { remediation: 'AlertAgent proposes running restart-pod: Deletes the pod', approve: `${ACK}x` },
      'alertagent-remediation',
    );
    for (const plugin of CHANNEL_PLUGINS) {
      const rendered = await renderDefaultTemplates(plugin.defaultTemplates, approval);
      expect(`${rendered.body}${rendered.html ?? ''}`).toContain(`${ACK}x`);
    }
  });

  it('leaves an ordinary alert as it was', async () => {
    for (const plugin of CHANNEL_PLUGINS) {
      const rendered = await renderDefaultTemplates(plugin.defaultTemplates, recordMessage(record, {}, 'r'));
      expect(rendered.body).not.toMatch(/Acknowledge|analysis:|suggested:/);
    }
  });
});
