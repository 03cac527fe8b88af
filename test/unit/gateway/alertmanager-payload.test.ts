import {
  alertmanagerPayloadSchema,
  fingerprintOf,
  parseAlertmanagerPayload,
  storableDate,
  UNKNOWN_FIELDS_PER_ALERT_BYTES,
} from '../../../src/services/gateway/alertmanager-payload';
import { findUnstorable, MAX_JSON_DEPTH } from '../../../src/services/shared/storable-json';
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
    expect(alertmanagerPayloadSchema.safeParse({ ...validPayload(), alerts: [] }).error!.issues[0].message).toBe(
      'expected at least one alert',
    );
    const payload = validPayload();
    payload.alerts[0].startsAt = 'yesterday';
    expect(alertmanagerPayloadSchema.safeParse(payload).error!.issues[0]).toMatchObject({
      path: ['alerts', 0, 'startsAt'],
      message: 'expected an RFC 3339 timestamp',
    });
  });

  it('never throws on generated garbage: every mutation of a valid payload is either valid or reported', () => {
    const values = [null, 0, -1, 1.5, '', 'x', [], {}, true, '4', ['a'], { a: 1 }];
    const paths = [
      ['version'],
      ['status'],
      ['alerts'],
      ['groupKey'],
      ['receiver'],
      ['truncatedAlerts'],
      ['alerts', 0],
      ['alerts', 0, 'labels'],
      ['alerts', 0, 'startsAt'],
      ['alerts', 0, 'annotations'],
      ['commonLabels'],
    ];
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

  describe('what passes can be stored', () => {
    const parse = (payload: unknown) => parseAlertmanagerPayload(typeof payload === 'string' ? payload : JSON.stringify(payload));

    it('replaces NUL characters and unpaired surrogates with U+FFFD, in values and names, and says where', () => {
      const payload = validPayload();
      payload.alerts[0].labels.instance = 'db\u00001';
      payload.alerts[0].annotations['sum\u0000mary'] = 'half a pair: \ud83d';
      payload.receiver = 'x\udc00y';
      const { payload: parsed, repairs } = parse(payload);
      expect(parsed.alerts[0].labels.instance).toBe('db\ufffd1');
      expect(parsed.alerts[0].annotations['sum\ufffdmary']).toBe('half a pair: \ufffd');
      expect(parsed.receiver).toBe('x\ufffdy');
      expect(repairs.count).toBe(4);
      expect(repairs.notes).toContain('alerts[0].labels.instance: NUL characters or unpaired surrogates replaced with U+FFFD');
      expect(findUnstorable(parsed)).toBeNull();
      // Whole surrogate pairs (emoji) are left alone.
      expect(parse({ ...validPayload(), receiver: 'pager 🔥' }).repairs.count).toBe(0);
    });

    it('keeps unknown fields, but not nested deeper than storage allows', () => {
      const deep = `${'{"a":'.repeat(1_000)}1${'}'.repeat(1_000)}`;
      const text = JSON.stringify({ ...validPayload(), extra: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', deep);
      const { payload, repairs } = parse(text);
      expect(findUnstorable(payload)).toBeNull();
      expect(repairs.notes[0]).toMatch(new RegExp(`^extra(\\.a)+: removed, nested deeper than ${MAX_JSON_DEPTH} levels$`));
      expect(JSON.stringify(payload)).toContain('"a":{"a"');
    });

    it('keeps unknown fields up to a size and replaces the largest past it', () => {
      const payload: Record<string, any> = validPayload();
      payload.alerts[0].notification_reason = 'new_alert';
      payload.alerts[0].blob = 'x'.repeat(UNKNOWN_FIELDS_PER_ALERT_BYTES + 1);
      const { payload: parsed, repairs } = parse(payload);
      const alert = parsed.alerts[0] as Record<string, unknown>;
      expect(alert.notification_reason).toBe('new_alert');
      expect(alert.blob).toMatch(/^\[removed by AlertAgent: \d+ bytes/);
      expect(repairs.notes).toEqual([expect.stringMatching(/^alerts\[0\]\.blob: removed/)]);
    });

    it('accepts every date Alertmanager can write and stores those outside years 1 to 9999 at the nearest end', () => {
      for (const startsAt of [
        '0000-01-01T00:00:00Z',
        '0001-01-01T00:00:00+01:00',
        '9999-12-31T23:59:59.999999999Z',
        '-010000-01-01T00:00:00Z',
        '+200000-01-01T00:00:00Z',
      ]) {
        const payload = validPayload();
        payload.alerts[0].startsAt = startsAt;
        const { payload: parsed } = parse(payload);
        const stored = storableDate(parsed.alerts[0].startsAt).toISOString();
        expect(stored >= '0001-01-01T00:00:00.000Z' && stored <= '9999-12-31T23:59:59.999Z').toBe(true);
      }
      const payload = validPayload();
      payload.alerts[0].startsAt = '0000-06-01T00:00:00Z';
      expect(parse(payload).repairs.notes).toEqual(['alerts[0].startsAt: outside the years 1 to 9999, stored as 0001-01-01T00:00:00.000Z']);
      expect(parse(validPayload()).repairs.count).toBe(0);
    });

    it('stores an overlong fingerprint as its hash and a huge truncatedAlerts as the largest count', () => {
      const payload = validPayload();
      payload.alerts[0].fingerprint = 'f'.repeat(65);
      payload.truncatedAlerts = 2 ** 40;
      const { payload: parsed, repairs } = parse(payload);
      expect(parsed.alerts[0].fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(parsed.truncatedAlerts).toBe(2 ** 31 - 1);
      expect(repairs.count).toBe(2);
    });

    it('refuses what is not JSON or not a payload, with the fields named', () => {
      expect(() => parse('{"version": "4",')).toThrow(/^request body is not valid JSON/);
      expect(() => parse({ ...validPayload(), truncatedAlerts: -1 })).toThrow(/truncatedAlerts: /);
      expect(() => parse({ ...validPayload(), alerts: 'x' })).toThrow(/^not an Alertmanager webhook payload \(version 4\): alerts: /);
    });
  });
});
