import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';
import { rrulestr } from 'rrule';
import { BadUserInputError } from '../../errors';
import type { MaintenanceSchedule } from '../../entities/gateway/maintenance.entity';

/** When a window is open. */
export interface Occurrence {
  start: Date;
  end: Date;
}

export interface ScheduleSpec {
  schedule: MaintenanceSchedule;
  startsAt: Date | null;
  endsAt: Date | null;
  expression: string | null;
  durationSeconds: number | null;
  timeZone: string;
}

/** The longest a window may last, once or per occurrence. */
export const MAX_WINDOW_SECONDS = 30 * 86_400;

/** RRULE text with its first occurrence (DTSTART) in the window's time zone. */
function ruleOf(spec: ScheduleSpec) {
  const dtstart = DateTime.fromJSDate(spec.startsAt!, { zone: spec.timeZone }).toFormat("yyyyMMdd'T'HHmmss");
  return rrulestr(`DTSTART;TZID=${spec.timeZone}:${dtstart}\nRRULE:${spec.expression!.replace(/^RRULE:/i, '')}`);
}

/** The latest start at or before `at` (null when none), and the first start after it. */
function starts(spec: ScheduleSpec, at: Date): { previous: Date | null; next: Date | null } {
  if (spec.schedule === 'cron') {
    const options = { tz: spec.timeZone, currentDate: new Date(at.getTime() + 1) };
    const before = CronExpressionParser.parse(spec.expression!, options);
    const after = CronExpressionParser.parse(spec.expression!, options);
    return { previous: before.hasPrev() ? before.prev().toDate() : null, next: after.hasNext() ? after.next().toDate() : null };
  }
  const rule = ruleOf(spec);
  return { previous: rule.before(at, true), next: rule.after(at, false) };
}

/** The occurrence open at `at`, or null. */
export function openOccurrence(spec: ScheduleSpec, at: Date): Occurrence | null {
  if (spec.schedule === 'once') return spec.startsAt! <= at && at < spec.endsAt! ? { start: spec.startsAt!, end: spec.endsAt! } : null;
  const { previous } = starts(spec, at);
  if (!previous) return null;
  const end = new Date(previous.getTime() + spec.durationSeconds! * 1000);
  return at < end ? { start: previous, end } : null;
}

/** The next occurrence starting after `at`, or null when there is none. */
export function nextOccurrence(spec: ScheduleSpec, at: Date): Occurrence | null {
  if (spec.schedule === 'once') return spec.startsAt! > at ? { start: spec.startsAt!, end: spec.endsAt! } : null;
  const { next } = starts(spec, at);
  return next ? { start: next, end: new Date(next.getTime() + spec.durationSeconds! * 1000) } : null;
}

/**
 * Refuses, naming the field, a schedule that cannot work: an unknown time zone, a cron or RRULE
 * expression that does not parse, a window without end or longer than 30 days, a one-off window
 * that has already ended or a recurring one that never opens again.
 */
export function checkSchedule(spec: ScheduleSpec, now: Date, path = 'input'): void {
  if (!IANAZone.isValidZone(spec.timeZone))
    throw BadUserInputError.forField(
      `${path}.timeZone`,
      `unknown time zone "${spec.timeZone}" (expected an IANA name such as Europe/Berlin or UTC)`,
    );
  if (spec.schedule === 'once') {
    if (!spec.startsAt || !spec.endsAt)
      throw BadUserInputError.forField(`${path}.${spec.startsAt ? 'endsAt' : 'startsAt'}`, 'a one-off window needs startsAt and endsAt');
    if (spec.endsAt <= spec.startsAt) throw BadUserInputError.forField(`${path}.endsAt`, 'must be after startsAt');
    if ((spec.endsAt.getTime() - spec.startsAt.getTime()) / 1000 > MAX_WINDOW_SECONDS)
      throw BadUserInputError.forField(`${path}.endsAt`, 'a window lasts at most 30 days');
    if (spec.endsAt <= now) throw BadUserInputError.forField(`${path}.endsAt`, 'is in the past: the window would never apply');
    return;
  }
  if (!spec.expression) throw BadUserInputError.forField(`${path}.expression`, `a ${spec.schedule} window needs an expression`);
  if (!spec.durationSeconds || spec.durationSeconds < 60 || spec.durationSeconds > MAX_WINDOW_SECONDS) {
    throw BadUserInputError.forField(`${path}.durationSeconds`, 'a recurring window needs a duration of 60 s to 30 days');
  }
  if (spec.schedule === 'rrule' && !spec.startsAt)
    throw BadUserInputError.forField(`${path}.startsAt`, 'an RRULE window needs startsAt (its first occurrence, DTSTART)');
  let upcoming: Occurrence | null;
  try {
    upcoming = openOccurrence(spec, now) ?? nextOccurrence(spec, now);
  } catch (err) {
    throw BadUserInputError.forField(
      `${path}.expression`,
      `not a valid ${spec.schedule === 'cron' ? 'cron expression' : 'RRULE'}: ${(err as Error).message}`,
    );
  }
  if (!upcoming) throw BadUserInputError.forField(`${path}.expression`, 'never opens again: the window would never apply');
}
