import { useEffect, useState } from 'react';
import { gql, subscribe } from '../api';
import { Badge, ErrorBox, time, useQuery } from '../components';

const FLAGS = `{ flags { name description enabled source phase override { enabled reason actor createdAt expiresAt } } }`;

/** Each feature flag: on or off, who decides it (Unleash, the bootstrap file, the default or an override) and its phase; admins override. */
export function FlagsPage({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useQuery<any>(FLAGS);
  const [actionError, setActionError] = useState<unknown>(null);
  useEffect(() => subscribe('subscription { flagChanged { name } }', {}, () => reload()), []);
  const override = (name: string, enabled: boolean) => {
    const reason = window.prompt(`Why turn ${name} ${enabled ? 'on' : 'off'}? (kept in the audit log)`);
    if (!reason) return;
    gql('mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { name } }', { i: { name, enabled, reason } }).then(
      () => (setActionError(null), reload()),
      setActionError,
    );
  };
  const clear = (name: string) =>
    gql('mutation($n: String!) { clearFlagOverride(name: $n) { name } }', { n: name }).then(reload, setActionError);
  return (
    <>
      <h1>Flags</h1>
      <ErrorBox error={error ?? actionError} />
      <table className="panel">
        <thead>
          <tr>
            <th>flag</th>
            <th>state</th>
            <th>decided by</th>
            <th>phase</th>
            <th>override</th>
            {isAdmin && <th />}
          </tr>
        </thead>
        <tbody>
          {data?.flags.map((f: any) => (
            <tr key={f.name} data-flag={f.name}>
              <td>
                <strong className="mono">{f.name}</strong>
                <div className="muted">{f.description}</div>
              </td>
              <td>
                <Badge value={f.enabled ? 'on' : 'off'} />
              </td>
              <td>{f.source.toLowerCase()}</td>
              <td>{f.phase}</td>
              <td>
                {f.override ? (
                  `${f.override.enabled ? 'on' : 'off'} by ${f.override.actor}: ${f.override.reason}${f.override.expiresAt ? ` (until ${time(f.override.expiresAt)})` : ''}`
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
              {isAdmin && (
                <td className="row">
                  <button type="button" onClick={() => override(f.name, !f.enabled)}>
                    Turn {f.enabled ? 'off' : 'on'}
                  </button>
                  {f.override && (
                    <button type="button" onClick={() => clear(f.name)}>
                      Clear override
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
