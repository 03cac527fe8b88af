import { buildContext, scrubSecrets } from '../../src/services/analysis/context-builder';
import { parseAnalysisAnswer } from '../../src/services/analysis/result-parser';
import type { AlertRecordEntity } from '../../src/entities/gateway/alert-record.entity';

const GOOD = { root_cause: 'disk full on pg-2', confidence: 0.9, suggested_actions: ['expand the volume'], severity_assessment: 'high' };

describe('parsing a model answer', () => {
  it('reads the optional category and suggested team, and treats "none" and empty as not said', () => {
    const base = { root_cause: 'x', confidence: 0.5, suggested_actions: [] };
    expect(parseAnalysisAnswer({ ...base, category: 'database', suggested_team: 'dba' })).toMatchObject({
      result: { category: 'database', suggestedTeam: 'dba' },
    });
    expect(parseAnalysisAnswer({ ...base, category: 'None', team: '' })).toMatchObject({ result: { category: null, suggestedTeam: null } });
    expect(parseAnalysisAnswer({ ...base, suggestedTeam: 'sre', category: null })).toMatchObject({
      result: { category: null, suggestedTeam: 'sre' },
    });
    expect(parseAnalysisAnswer({ ...base, category: 42 })).toMatchObject({ parsed: false });
  });

  it('takes a plain JSON answer, in snake_case or camelCase', () => {
    expect(parseAnalysisAnswer(JSON.stringify(GOOD))).toEqual({
      parsed: true,
      result: {
        rootCause: 'disk full on pg-2',
        confidence: 0.9,
        suggestedActions: ['expand the volume'],
        severityAssessment: 'high',
        category: null,
        suggestedTeam: null,
        remediation: null,
      },
    });
    expect(parseAnalysisAnswer({ rootCause: 'x', confidence: 0.5, suggestedActions: [] })).toEqual({
      parsed: true,
      result: {
        rootCause: 'x',
        confidence: 0.5,
        suggestedActions: [],
        severityAssessment: null,
        category: null,
        suggestedTeam: null,
        remediation: null,
      },
    });
  });

  it('finds JSON wrapped in prose or in a code fence', () => {
    expect(
      parseAnalysisAnswer(`Sure! Here is the analysis you asked for:\n${JSON.stringify(GOOD)}\nLet me know if you need more.`),
    ).toMatchObject({ parsed: true, result: { confidence: 0.9 } });
    expect(parseAnalysisAnswer(`Analysis:\n\`\`\`json\n${JSON.stringify(GOOD, null, 2)}\n\`\`\``)).toMatchObject({
      parsed: true,
      result: { rootCause: 'disk full on pg-2' },
    });
    // A brace inside a string does not end the object early.
    expect(parseAnalysisAnswer(`note {x} then ${JSON.stringify({ ...GOOD, root_cause: 'a "}" in the log' })}`)).toMatchObject({
      parsed: true,
      result: { rootCause: 'a "}" in the log' },
    });
  });

  it('accepts a numeric string confidence but nothing outside 0–1', () => {
    expect(parseAnalysisAnswer(JSON.stringify({ ...GOOD, confidence: '0.75' }))).toMatchObject({
      parsed: true,
      result: { confidence: 0.75 },
    });
    expect(parseAnalysisAnswer(JSON.stringify({ ...GOOD, confidence: 85 }))).toEqual({
      parsed: false,
      reason: 'the result does not match the schema: confidence: must be from 0 to 1',
    });
    expect(parseAnalysisAnswer(JSON.stringify({ ...GOOD, confidence: -0.1 }))).toMatchObject({ parsed: false });
    expect(parseAnalysisAnswer(JSON.stringify({ ...GOOD, confidence: 'high' }))).toMatchObject({
      parsed: false,
      reason: expect.stringContaining('confidence'),
    });
  });

  it('reports prose, broken JSON, missing fields and empty answers as unparsed with the reason', () => {
    expect(parseAnalysisAnswer('The disk is probably full.')).toEqual({ parsed: false, reason: 'no JSON object found in the answer' });
    expect(parseAnalysisAnswer('{"root_cause": "disk", "confidence": 0.9, ')).toEqual({
      parsed: false,
      reason: 'no JSON object found in the answer',
    });
    expect(parseAnalysisAnswer(JSON.stringify({ confidence: 0.9 }))).toMatchObject({
      parsed: false,
      reason: expect.stringContaining('rootCause'),
    });
    expect(parseAnalysisAnswer('')).toEqual({ parsed: false, reason: 'the answer is empty' });
    expect(parseAnalysisAnswer(null)).toEqual({ parsed: false, reason: 'the answer is empty' });
  });
});

describe('the analysis context', () => {
  const record = (over: Partial<AlertRecordEntity> = {}) =>
    ({
      id: 'r1',
      alertname: 'DiskFull',
      status: 'firing',
      severity: 'critical',
      cluster: 'eu-1',
      fingerprint: 'abc',
      state: 'delivered',
      labels: { alertname: 'DiskFull', instance: 'pg-2', api_key: 'k-123' },
      annotations: {
        summary: 'disk full',
        dashboard: 'https://grafana/d/x?token=abcdef',
        webhook: 'https://ops:s3cret@hooks.example.com/x',
        note: 'use Bearer eyJhbGciOiJIUzI1NiJ9.abc',
      },
      startsAt: new Date('2026-11-25T10:00:00Z'),
      receivedAt: new Date('2026-11-25T10:00:01Z'),
      generatorUrl: 'http://prom:9090/graph',
      ...over,
    }) as AlertRecordEntity;

  it('scrubs what looks like a secret and keeps the rest', () => {
    const context = buildContext(record(), { history: [], similar: [], analyses: [] }, 16_384);
    expect(context.alert.labels).toEqual({ alertname: 'DiskFull', instance: 'pg-2', api_key: '[redacted]' });
    expect(context.alert.annotations).toEqual({
      summary: 'disk full',
      dashboard: 'https://grafana/d/x?token=[redacted]',
      webhook: 'https://[redacted]@hooks.example.com/x',
      note: 'use Bearer [redacted]',
    });
    expect(scrubSecrets({ nested: [{ password: 'x' }], text: 'aat_0123456789abcdefghij' })).toEqual({
      nested: [{ password: '[redacted]' }],
      text: '[redacted]',
    });
  });

  it('stays within its size bound, dropping the oldest history first', () => {
    // Newest first, as the service reads them.
    const history = Array.from({ length: 200 }, (_, i) =>
      record({ id: `h${i}`, receivedAt: new Date(Date.UTC(2026, 10, 25, 9, 0, 199 - i)) }),
    );
    const context = buildContext(record(), { history, similar: history, analyses: [] }, 4_096);
    expect(Buffer.byteLength(JSON.stringify(context))).toBeLessThanOrEqual(4_096);
    expect(context.history.length).toBeGreaterThan(0);
    expect(context.similar).toEqual([]);
    expect(context.history[0].receivedAt).toBe('2026-11-25T09:03:19.000Z');
    expect(context.history.at(-1)!.receivedAt > '2026-11-25T09:00:00.000Z').toBe(true);
  });
});
