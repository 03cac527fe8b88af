import {
  checkSchedule,
  nextOccurrence,
  openOccurrence,
  type ScheduleSpec,
} from '../../../src/services/maintenance-windows/maintenance-schedule';

const cron = (expression: string, timeZone: string, durationSeconds = 7200): ScheduleSpec => ({
  schedule: 'cron',
  expression,
  timeZone,
  durationSeconds,
  startsAt: null,
  endsAt: null,
});

describe('maintenance schedules', () => {
  it('a one-off window is open from its start to (not including) its end', () => {
    const spec: ScheduleSpec = {
      schedule: 'once',
      startsAt: new Date('2026-12-05T02:00:00Z'),
      endsAt: new Date('2026-12-05T04:00:00Z'),
      expression: null,
      durationSeconds: null,
      timeZone: 'UTC',
    };
    expect(openOccurrence(spec, new Date('2026-12-05T01:59:59Z'))).toBeNull();
    expect(openOccurrence(spec, new Date('2026-12-05T02:00:00Z'))?.end).toEqual(new Date('2026-12-05T04:00:00Z'));
    expect(openOccurrence(spec, new Date('2026-12-05T04:00:00Z'))).toBeNull();
  });

  it('reads cron in the window time zone, across a daylight-saving change', () => {
    const spec = cron('0 2 * * SAT', 'Europe/Berlin');
    // Winter: 02:00 in Berlin is 01:00 UTC; summer: 00:00 UTC.
    expect(openOccurrence(spec, new Date('2026-12-05T01:30:00Z'))?.start).toEqual(new Date('2026-12-05T01:00:00Z'));
    expect(openOccurrence(spec, new Date('2026-12-05T03:00:01Z'))).toBeNull();
    expect(nextOccurrence(spec, new Date('2027-03-25T00:00:00Z'))?.start).toEqual(new Date('2027-03-27T01:00:00Z'));
    expect(nextOccurrence(spec, new Date('2027-03-28T00:00:00Z'))?.start).toEqual(new Date('2027-04-03T00:00:00Z'));
  });

  it('reads an RRULE from its first occurrence in the window time zone', () => {
    const spec: ScheduleSpec = {
      schedule: 'rrule',
      expression: 'FREQ=WEEKLY;BYDAY=SA',
      startsAt: new Date('2026-12-05T01:00:00Z'),
      endsAt: null,
      durationSeconds: 3600,
      timeZone: 'Europe/Berlin',
    };
    expect(openOccurrence(spec, new Date('2026-12-12T01:30:00Z'))?.start).toEqual(new Date('2026-12-12T01:00:00Z'));
    expect(openOccurrence(spec, new Date('2026-12-12T02:00:00Z'))).toBeNull();
    expect(nextOccurrence(spec, new Date('2026-12-12T02:00:00Z'))?.start).toEqual(new Date('2026-12-19T01:00:00Z'));
  });

  it('refuses schedules that cannot work, naming the field', () => {
    const now = new Date('2026-12-04T00:00:00Z');
    const refuse = (spec: ScheduleSpec, field: string) =>
      expect(() => checkSchedule(spec, now)).toThrow(expect.objectContaining({ message: expect.stringContaining(field) }));
    refuse(cron('0 2 * * SAT', 'Nowhere/Land'), 'input.timeZone');
    refuse(cron('61 * * * *', 'UTC'), 'input.expression');
    refuse(cron('0 2 * * SAT', 'UTC', 10), 'input.durationSeconds');
    refuse(
      {
        schedule: 'rrule',
        expression: 'FREQ=DAILY;COUNT=2',
        startsAt: new Date('2020-01-01T00:00:00Z'),
        endsAt: null,
        durationSeconds: 60,
        timeZone: 'UTC',
      },
      'never opens again',
    );
    expect(() => checkSchedule(cron('0 2 * * SAT', 'Europe/Berlin'), now)).not.toThrow();
  });
});
