import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { closeLive, currentLive, gql, liveState, onTokenRefused } from './api';
import { ErrorBox } from './components';
import { ChannelsPage } from './pages/channels';
import { ClustersPage } from './pages/clusters';
import { AlertDetailPage, IncidentDetailPage } from './pages/detail';
import { FlagsPage } from './pages/flags';
import { NowPage } from './pages/now';
import { RulesPage } from './pages/rules';
import { session } from './session';
import './style.css';

interface Viewer {
  name: string;
  roleName: string;
  permissions: string[];
}

const PAGES = [
  { path: 'now', title: 'Now', needs: 'alerts:read' },
  { path: 'channels', title: 'Channels', needs: 'channels:read' },
  { path: 'clusters', title: 'Clusters', needs: 'clusters:read' },
  { path: 'rules', title: 'Rules', needs: 'rules:read' },
  { path: 'flags', title: 'Flags', needs: 'flags:read' },
] as const;

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash.replace(/^#\/?/, '') || 'now';
};

function SignIn({ reason, onSignedIn }: { reason: string | null; onSignedIn: (viewer: Viewer) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(reason ? new Error(reason) : null);
  const submit = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    session.signIn(token);
    try {
      const { viewer } = await gql<{ viewer: Viewer }>('{ viewer { name roleName permissions } }');
      onSignedIn(viewer);
    } catch (err) {
      session.signOut();
      setError(err);
    }
  };
  return (
    <form className="panel signin" onSubmit={submit}>
      <h1>AlertAgent</h1>
      <p className="muted">Sign in with an API token. It is kept in this tab only and sent to this server only.</p>
      <input
        type="password"
        autoComplete="off"
        placeholder="API token"
        aria-label="API token"
        value={token}
        onChange={(e) => setToken(e.target.value)}
        autoFocus
      />
      <ErrorBox error={error} />
      <button className="primary" type="submit" disabled={!token.trim()}>
        Sign in
      </button>
      <p className="muted">
        First start on the embedded database? The admin token is in <span className="mono">DATA_DIR/initial-admin-token</span>. Otherwise:{' '}
        <span className="mono">alertagent token create --name me --role viewer</span>.
      </p>
    </form>
  );
}

function App() {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [checking, setChecking] = useState(Boolean(session.token()));
  const [refusedReason, setRefusedReason] = useState<string | null>(null);
  const [live, setLive] = useState(currentLive());
  const route = useHash();

  useEffect(() => {
    if (session.token()) {
      gql<{ viewer: Viewer }>('{ viewer { name roleName permissions } }')
        .then(({ viewer }) => setViewer(viewer))
        .catch(() => session.signOut())
        .finally(() => setChecking(false));
    }
    liveState.listeners.add(setLive);
    const off = onTokenRefused((reason) => {
      session.signOut();
      closeLive();
      setViewer(null);
      setRefusedReason(`Signed out: ${reason}`);
    });
    return () => {
      liveState.listeners.delete(setLive);
      off();
    };
  }, []);

  if (checking) return null;
  if (!viewer) return <SignIn reason={refusedReason} onSignedIn={(v) => (setRefusedReason(null), setViewer(v))} />;

  const may = (permission: string) => viewer.permissions.includes(permission);
  const signOut = () => {
    session.signOut();
    closeLive();
    setViewer(null);
    location.hash = '';
  };
  const [page, id] = route.split('/');
  const known =
    PAGES.find((p) => p.path === page) ??
    (page === 'alert' || page === 'incident' ? { path: page, title: page, needs: 'alerts:read' } : null);

  let body: JSX.Element;
  if (!known)
    body = (
      <div className="error">
        No page “{page}”. <a href="#/now">Go to Now</a>.
      </div>
    );
  else if (!may(known.needs))
    body = (
      <div className="error" data-testid="forbidden">
        Your role ({viewer.roleName}) may not open {known.title}: it needs the permission {known.needs}.
      </div>
    );
  else if (page === 'now') body = <NowPage />;
  else if (page === 'alert')
    body = <AlertDetailPage key={id} id={id} canOperate={may('alerts:ack')} canGiveFeedback={may('analysis:write')} />;
  else if (page === 'incident') body = <IncidentDetailPage key={id} id={id} canOperate={may('alerts:ack')} />;
  else if (page === 'channels') body = <ChannelsPage canTest={may('channels:test')} />;
  else if (page === 'clusters') body = <ClustersPage canSeeConfig={may('clusters:deploy')} />;
  else if (page === 'rules') body = <RulesPage canWrite={may('rules:write')} />;
  else body = <FlagsPage isAdmin={may('flags:write')} />;

  return (
    <>
      <header className="top">
        <span className="brand">AlertAgent</span>
        <nav>
          {PAGES.filter((p) => may(p.needs)).map((p) => (
            <a key={p.path} href={`#/${p.path}`} className={page === p.path ? 'active' : ''}>
              {p.title}
            </a>
          ))}
          <a href="/graphql" target="_blank" rel="noopener">
            API explorer
          </a>
        </nav>
        <span className="who">
          {live !== 'none' && (
            <span
              className={`live${live === 'up' ? ' up' : ''}`}
              title={live === 'up' ? 'live updates connected' : 'live updates not connected: reconnecting'}
              data-testid="live"
            />
          )}
          <span data-testid="who">
            {viewer.name} ({viewer.roleName})
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>{body}</main>
    </>
  );
}

// graphql-ws can leave the close of an idle socket as a promise nobody awaits; closes reach the
// console through the client's `closed` event (the dot, sign-out on a refused token), so such a
// rejection carries nothing new and is not reported as an error of the page.
addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof CloseEvent) event.preventDefault();
});

createRoot(document.getElementById('root')!).render(<App />);
