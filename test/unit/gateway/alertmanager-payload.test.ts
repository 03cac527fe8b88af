import { alertmanagerPayloadSchema, fingerprintOf } from '../../../src/services/gateway/alertmanager-payload';
import { validPayload } from '../../support/alerts';

describe('Alertmanager webhook payload (version 4)', () => {
  it('accepts what Alertmanager sends and keeps fields added by newer releases', () => {
    const payload: Record<string, any> = { ...validPayload(), routeLabels: { team: 'db' } };
    payload.alerts[0].notification_reason = 'new_alert';
    const parsed = alertmanagerPayloadSchema.parse(payload);
    expect(parsed.alerts[0].fingerprint).toBe('1a2b3c4d5e6f7a8b');
    expect((parsed as Record<string, unknown>).routeLabels).toEqual({ team: 'db' });
    expect((parsed.alerts[0] as Record<string, unknown>).notification_reason).toBe('new_alert');
  });

  it('names the field and what was expected for each problem', () => {
    const payload = validPayload();
    payload.version = '3';
    payload.alerts[0].status = 'burning';
    payload.alerts[0].labels.severity = 5;
    const result = alertmanagerPayloadSchema.safeParse(payload);
    expect(result.success).toBe(false);
    const problems = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual([
      'version: expected "4" (the Alertmanager webhook payload version)',
      'alerts.0.status: expected "firing" or "resolved"',
      'alerts.0.labels.severity: label values must be strings',
    ]);
  });

  it('refuses payloads without alerts, or with a start time that is not a timestamp', () => {
    expect(alertmanagerPayloadSchema.safeParse({ ...validPayload(), alerts: [] }).error!.issues[0].message).toBe('expected at least one alert');
    const payload = validPayload();
    payload.alerts[0].startsAt = 'yesterday';
    expect(alertmanagerPayloadSchema.safeParse(payload).error!.issues[0]).toMatchObject({ path: ['alerts', 0, 'startsAt'], message: 'expected an RFC 3339 timestamp' });
  });

  it('never throws on generated garbage: every mutation of a valid payload is either valid or reported', () => {
    const values = [null, 0, -1, 1.5, '', 'x', [], {}, true, '4', ['a'], { a: 1 }];
    const paths = [['version'], ['status'], ['alerts'], ['groupKey'], ['receiver'], ['truncatedAlerts'], ['alerts', 0], ['alerts', 0, 'labels'], ['alerts', 0, 'startsAt'], ['alerts', 0, 'annotations'], ['commonLabels']];
    let reported = 0;
    for (const path of paths) {
      for (const value of values) {
        const payload = validPayload();
        let node: any = payload;
        for (const key of path.slice(0, -1)) node = node[key];
        node[path[path.length - 1]] = value;
        const result = alertmanagerPayloadSchema.safeParse(payload);
        if (!result.success) {
          reported += 1;
          expect(result.error.issues.length).toBeGreaterThan(0);
        }
      }
    }
    expect(reported).toBeGreaterThan(100);
  });

  it('fills in the fingerprint from the labels when a custom payload template leaves it out', () => {
    const payload = validPayload();
    delete payload.alerts[0].fingerprint;
    const parsed = alertmanagerPayloadSchema.parse(payload);
    expect(parsed.alerts[0].fingerprint).toBe(fingerprintOf(payload.alerts[0].labels));
    expect(alertmanagerPayloadSchema.parse(validPayload()).alerts[0].fingerprint).toBe('1a2b3c4d5e6f7a8b');
  });

  it('derives a stable fingerprint from labels when the sender omits one', () => {
    expect(fingerprintOf({ b: '2', a: '1' })).toBe(fingerprintOf({ a: '1', b: '2' }));
    expect(fingerprintOf({ a: '1' })).not.toBe(fingerprintOf({ a: '2' }));
    expect(fingerprintOf({ a: '1' })).toMatch(/^[0-9a-f]{16}$/);
  });
});
