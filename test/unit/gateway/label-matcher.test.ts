import { compileMatcher, matchesAll, parseMatcher } from '../../../src/services/gateway/label-matcher';
import { BadUserInputError } from '../../../src/errors';

describe('label matchers (Alertmanager semantics)', () => {
  const labels = { alertname: 'DiskFull', severity: 'critical', team: 'db' };
  const compile = (text: string) => compileMatcher(parseMatcher(text));

  it('parses the four operators, quoted and bare', () => {
    expect(parseMatcher('severity="critical"')).toEqual({ name: 'severity', operator: '=', value: 'critical' });
    expect(parseMatcher('team =~ "db|infra"')).toEqual({ name: 'team', operator: '=~', value: 'db|infra' });
    expect(parseMatcher('env!=prod')).toEqual({ name: 'env', operator: '!=', value: 'prod' });
    expect(parseMatcher('msg!~"a \\"quoted\\" word"')).toEqual({ name: 'msg', operator: '!~', value: 'a "quoted" word' });
  });

  it('anchors regexes at both ends, as Alertmanager does', () => {
    expect(compile('team=~"d"').matches(labels)).toBe(false);
    expect(compile('team=~"d.*"').matches(labels)).toBe(true);
    expect(compile('team=~"db|infra"').matches(labels)).toBe(true);
  });

  it('reads a missing label as the empty string', () => {
    expect(compile('env=""').matches(labels)).toBe(true);
    expect(compile('env!=""').matches(labels)).toBe(false);
    expect(compile('env=~".*"').matches(labels)).toBe(true);
    expect(compile('env!~"prod"').matches(labels)).toBe(true);
  });

  it('uses RE2 syntax: Perl-only constructs are refused with a clear error', () => {
    expect(() => compile('team=~"(?=db)"')).toThrow(BadUserInputError);
    expect(() => compile('team=~"(?=db)"')).toThrow(/invalid regular expression/);
  });

  it('refuses text that is not a matcher, saying what was expected', () => {
    expect(() => parseMatcher('severity critical')).toThrow(
      '"severity critical" is not a matcher; expected e.g. severity="critical" or team=~"db|infra"',
    );
  });

  it('requires every matcher to match; none matches everything', () => {
    expect(matchesAll([compile('severity="critical"'), compile('team="db"')], labels)).toBe(true);
    expect(matchesAll([compile('severity="critical"'), compile('team="web"')], labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });
});
