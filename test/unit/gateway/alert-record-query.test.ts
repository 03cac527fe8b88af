import { BadUserInputError } from '../../../src/errors';
import { labelEqualities } from '../../../src/services/gateway/alert-record.service';

describe('label filters of alertRecords', () => {
  it('reads name=value pairs as users type them: spaces, quotes, an = inside the value', () => {
    expect(labelEqualities(['cluster=prod-eu', ' team = "db" ', 'query=up==0'])).toEqual({
      cluster: 'prod-eu',
      team: 'db',
      query: 'up==0',
    });
  });

  it('means no filter when none is given', () => {
    expect(labelEqualities(undefined)).toBeUndefined();
    expect(labelEqualities([])).toBeUndefined();
  });

  it.each(['cluster', '=prod', ''])('refuses %j naming the entry', (entry) => {
    let caught: unknown;
    try {
      labelEqualities(['ok=1', entry]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BadUserInputError);
    expect((caught as BadUserInputError).details).toEqual({ issues: [expect.objectContaining({ field: 'labels[1]' })] });
  });
});
