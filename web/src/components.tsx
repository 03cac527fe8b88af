import { createTwoFilesPatch } from 'diff';
import { useEffect, useRef, useState } from 'react';
import { ApiError, gql, subscribe } from './api';

export const Badge = ({ value }: { value: string | null | undefined }) =>
  value ? <span className={`badge ${value}`}>{value.toLowerCase()}</span> : <span className="muted">—</span>;

export const time = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');
export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)} %`;

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    error instanceof ApiError
      ? `${error.message}${error.code === 'FORBIDDEN' ? ' — your role does not allow this' : ''}`
      : String((error as Error)?.message ?? error);
  return (
    <div className="error" role="alert">
      {message}
    </div>
  );
}

/** Runs a query when its inputs change; `reload` runs it again. */
export function useQuery<T>(
  query: string,
  variables: Record<string, unknown> = {},
): { data: T | null; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    gql<T>(query, variables).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, key, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/** Calls `reload` (at most once per `everyMs`) whenever one of these subscriptions delivers: pages that show stored state stay live. */
export function useLiveReload(
  subscriptions: string[],
  reload: () => void,
  everyMs = 1_000,
  accept: (data: any) => boolean = () => true,
): void {
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    let timer: number | null = null;
    const later = (data: any) => {
      if (accept(data)) timer ??= window.setTimeout(() => ((timer = null), latest.current()), everyMs);
    };
    const stops = subscriptions.map((query) => subscribe(query, {}, later));
    return () => {
      stops.forEach((stop) => stop());
      if (timer !== null) clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [subscriptions.join('\n')]);
}

/** A unified diff of two texts, coloured by line. */
export function Diff({ patch, from, to, before, after }: { patch?: string; from?: string; to?: string; before?: string; after?: string }) {
  const text =
    patch ?? createTwoFilesPatch(from ?? 'before', to ?? 'after', before ?? '', after ?? '', undefined, undefined, { context: 3 });
  const lines = text.split('\n').filter((l) => !l.startsWith('===') && !l.startsWith('Index:'));
  return (
    <div className="diff" data-testid="diff">
      {lines.map((line, i) => (
        <div
          key={i}
          className={
            line.startsWith('@@')
              ? 'hunk'
              : line.startsWith('+') && !line.startsWith('+++')
                ? 'add'
                : line.startsWith('-') && !line.startsWith('---')
                  ? 'del'
                  : ''
          }
        >
          {line || ' '}
        </div>
      ))}
    </div>
  );
}

/** Source with line numbers, and each problem shown under the line it points to (`line:col: message`). */
export function CodeWithProblems({ source, problems }: { source: string; problems: string[] }) {
  const byLine = new Map<number, string[]>();
  const unplaced: string[] = [];
  for (const problem of problems) {
    const at = /^(\d+):(\d+): /.exec(problem);
    if (at) byLine.set(Number(at[1]), [...(byLine.get(Number(at[1])) ?? []), problem]);
    else unplaced.push(problem);
  }
  return (
    <div className="code" data-testid="code-with-problems">
      {unplaced.map((p, i) => (
        <div key={`u${i}`} className="problem">
          {p}
        </div>
      ))}
      {source.split('\n').map((text, index) => {
        const line = index + 1;
        const here = byLine.get(line);
        return (
          <div key={line}>
            <div className={`line${here ? ' bad' : ''}`} data-line={line}>
              <span className="no">{line}</span>
              <span>{text || ' '}</span>
            </div>
            {here?.map((p, i) => (
              <div key={i} className="problem" data-problem-line={line}>{`↑ ${p}`}</div>
            ))}
          </div>
        );
      })}
    </div>
  );
}

/** Response times of each replica over time, with checks that failed marked in red. */
export function HealthChart({ points }: { points: Array<{ url: string; checkedAt: string; responseMs: number; up: boolean }> }) {
  if (points.length === 0) return <p className="muted">No health checks yet.</p>;
  const width = 560;
  const height = 140;
  const times = points.map((p) => Date.parse(p.checkedAt));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const top = Math.max(10, ...points.map((p) => p.responseMs));
  const x = (t: number) => 30 + ((t - t0) / Math.max(1, t1 - t0)) * (width - 40);
  const y = (v: number) => height - 20 - (v / top) * (height - 30);
  const colours = ['#2f5bd3', '#8e24aa', '#00897b', '#f4511e'];
  const urls = [...new Set(points.map((p) => p.url))];
  return (
    <svg width={width} height={height} role="img" aria-label="replica response times" data-testid="health-chart">
      <line x1={30} y1={height - 20} x2={width - 10} y2={height - 20} stroke="#ccc" />
      <text x={0} y={14} fontSize={10} fill="#667085">
        {Math.round(top)} ms
      </text>
      {urls.map((url, i) => {
        const mine = points.filter((p) => p.url === url).sort((a, b) => Date.parse(a.checkedAt) - Date.parse(b.checkedAt));
        return (
          <g key={url}>
            <polyline
              fill="none"
              stroke={colours[i % colours.length]}
              strokeWidth={1.5}
              points={mine.map((p) => `${x(Date.parse(p.checkedAt))},${y(p.responseMs)}`).join(' ')}
            />
            {mine
              .filter((p) => !p.up)
              .map((p, j) => (
                <circle key={j} cx={x(Date.parse(p.checkedAt))} cy={height - 20} r={3} fill="#c62828" />
              ))}
            <text x={40 + i * 180} y={height - 4} fontSize={10} fill={colours[i % colours.length]}>
              {url}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Previous/next over a list of `total` rows shown `size` at a time. */
export function Pager({
  offset,
  size,
  total,
  onChange,
}: {
  offset: number;
  size: number;
  total: number;
  onChange: (offset: number) => void;
}) {
  if (total <= size) return null;
  return (
    <div className="row">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - size))}>
        Previous
      </button>
      <span className="muted">
        {offset + 1}–{Math.min(total, offset + size)} of {total}
      </span>
      <button type="button" disabled={offset + size >= total} onClick={() => onChange(offset + size)}>
        Next
      </button>
    </div>
  );
}
