import { useState } from 'react';
import { ApiError, gql } from '../api';
import { CodeWithProblems, Diff, ErrorBox, Pager, time, useQuery } from '../components';

// Pages of 30 keep the query within a viewer's cost limit; warnings are read when a group is opened.
const PAGE = 30;
const GROUPS = `query($offset: Int!) { ruleGroups(limit: 30, offset: $offset) { total items { id name version targets yaml updatedAt rules { kind name } } } }`;
const VERSIONS = `query($id: ID!) { ruleGroupVersions(id: $id, limit: 50) { total items { version author message createdAt } } }`;

const EXAMPLE = `name: example
rules:
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    labels:
      severity: critical
    annotations:
      summary: "{{ $labels.instance }} is down"
`;

/** One group's versions: pick two to see what changed, roll back to an older one (as a new version). */
function Versions({ group, canWrite, onChanged }: { group: any; canWrite: boolean; onChanged: () => void }) {
  const { data, error, reload } = useQuery<any>(VERSIONS, { id: group.id });
  const [pair, setPair] = useState<{ from: number; to: number } | null>(null);
  const [patch, setPatch] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const versions = data?.ruleGroupVersions.items ?? [];
  const show = async (from: number, to: number) => {
    setPair({ from, to });
    setPatch(null);
    gql('query($id: ID!, $from: Int!, $to: Int!) { ruleGroupDiff(id: $id, from: $from, to: $to) }', { id: group.id, from, to }).then(
      (d) => setPatch(d.ruleGroupDiff),
      setActionError,
    );
  };
  const rollback = (version: number) =>
    gql('mutation($id: ID!, $v: Int!, $m: String!) { rollbackRuleGroup(id: $id, version: $v, message: $m) { version } }', {
      id: group.id,
      v: version,
      m: `rolled back to version ${version} from the console`,
    }).then(() => (reload(), onChanged()), setActionError);
  return (
    <div>
      <ErrorBox error={error ?? actionError} />
      <table>
        <thead>
          <tr>
            <th>version</th>
            <th>author</th>
            <th>message</th>
            <th>when</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions.map((v: any, i: number) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{v.author}</td>
              <td>{v.message}</td>
              <td>{time(v.createdAt)}</td>
              <td className="row">
                {i + 1 < versions.length && (
                  <button type="button" onClick={() => show(versions[i + 1].version, v.version)}>
                    Diff with {versions[i + 1].version}
                  </button>
                )}
                {canWrite && v.version !== group.version && (
                  <button type="button" onClick={() => rollback(v.version)}>
                    Roll back to this
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pair && patch !== null && <Diff patch={patch} />}
    </div>
  );
}

/** What promtool only lints (the same rule twice where the group lands), read for an opened group. */
function Warnings({ id }: { id: string }) {
  const { data } = useQuery<any>('query($id: ID!) { ruleGroup(id: $id) { warnings } }', { id });
  return (
    <>
      {data?.ruleGroup.warnings.map((w: string, i: number) => (
        <div key={i} className="notice">
          {w}
        </div>
      ))}
    </>
  );
}

/** Rule groups with versions, diffs and rollback; a new group is validated as promtool would, each problem shown at its line. */
export function RulesPage({ canWrite }: { canWrite: boolean }) {
  const [offset, setOffset] = useState(0);
  const { data, error, reload } = useQuery<any>(GROUPS, { offset });
  const [open, setOpen] = useState<string | null>(null);
  const [draft, setDraft] = useState(EXAMPLE);
  const [checked, setChecked] = useState<{ source: string; problems: string[] } | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const save = async () => {
    setSaved(null);
    setSaveError(null);
    try {
      const made = await gql('mutation($i: CreateRuleGroupInput!) { createRuleGroup(input: $i) { name version } }', {
        i: { yaml: draft, message: 'created from the console' },
      });
      setChecked(null);
      setSaved(`saved ${made.createRuleGroup.name}, version ${made.createRuleGroup.version}`);
      reload();
    } catch (err) {
      if (err instanceof ApiError && err.issues.length > 0) setChecked({ source: draft, problems: err.issues.map((i) => i.message) });
      else setSaveError(err);
    }
  };

  return (
    <>
      <h1>Rules</h1>
      <ErrorBox error={error} />
      {data?.ruleGroups.items.map((g: any) => (
        <div key={g.id} className="panel" data-group={g.name}>
          <div className="row">
            <strong>{g.name}</strong>
            <span className="muted">
              version {g.version} · {g.rules.length} rules · {g.targets.length ? g.targets.join(', ') : 'every cluster'} ·{' '}
              {time(g.updatedAt)}
            </span>
            <span className="grow" />
            <button type="button" onClick={() => setOpen(open === g.id ? null : g.id)}>
              {open === g.id ? 'Close' : 'Versions'}
            </button>
          </div>
          {open === g.id && (
            <>
              <Warnings id={g.id} />
              <pre className="code" style={{ padding: 8 }}>
                {g.yaml}
              </pre>
              <Versions group={g} canWrite={canWrite} onChanged={reload} />
            </>
          )}
        </div>
      ))}
      {data && <Pager offset={offset} size={PAGE} total={data.ruleGroups.total} onChange={setOffset} />}
      {canWrite && (
        <div className="panel">
          <h2>New group</h2>
          <textarea
            aria-label="rule group YAML"
            rows={12}
            style={{ width: '100%' }}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            spellCheck={false}
          />
          <div className="row">
            <button type="button" className="primary" onClick={save}>
              Validate and save
            </button>
            {saved && <span data-testid="saved">{saved}</span>}
          </div>
          <ErrorBox error={saveError} />
          {checked && (
            <>
              <p className="error">
                Not saved: {checked.problems.length} problem{checked.problems.length > 1 ? 's' : ''}, shown at their lines.
              </p>
              <CodeWithProblems source={checked.source} problems={checked.problems} />
            </>
          )}
        </div>
      )}
    </>
  );
}
