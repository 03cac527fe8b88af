import { createClient, type Client } from 'graphql-ws';
import { authHeaders, wsUrl } from './session';

/** A GraphQL error as the console shows it: the message, the code, and the issues (with positions) when there are some. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly issues: Array<{ path?: string; message: string }> = [],
  ) {
    super(message);
  }
}

type Errors = Array<{ message: string; extensions?: { code?: string; issues?: Array<{ path?: string; message: string }> } }>;

const toError = (errors: Errors): ApiError =>
  new ApiError(errors[0].message, errors[0].extensions?.code ?? 'ERROR', errors[0].extensions?.issues ?? []);

/** Signed-out listeners: told when the server refuses the token (wrong, revoked or expired). */
const refusedListeners = new Set<(reason: string) => void>();
export const onTokenRefused = (listener: (reason: string) => void): (() => void) => {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
};
const refused = (reason: string) => refusedListeners.forEach((l) => l(reason));

export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response
    .json()
    .catch(() => ({ errors: [{ message: `HTTP ${response.status}`, extensions: { code: 'HTTP' } }] }))) as { data?: T; errors?: Errors };
  if (body.errors?.length) {
    const error = toError(body.errors);
    if (error.code === 'UNAUTHENTICATED') refused(error.message);
    throw error;
  }
  return body.data as T;
}

let client: Client | null = null;
const connectedListeners = new Set<(again: boolean) => void>();
let connections = 0;

/** Told on every (re)connection of the live socket; `again` after a drop, when the page should catch up. */
export const onConnected = (listener: (again: boolean) => void): (() => void) => {
  connectedListeners.add(listener);
  return () => connectedListeners.delete(listener);
};

/** Whether the page has live views (subscriptions) and whether their socket is up. */
export type Live = 'none' | 'up' | 'down';
export const liveState = { connected: false, subscriptions: 0, listeners: new Set<(live: Live) => void>() };
export const currentLive = (): Live => (liveState.subscriptions === 0 ? 'none' : liveState.connected ? 'up' : 'down');
const tell = () => liveState.listeners.forEach((l) => l(currentLive()));
const setLive = (up: boolean) => {
  liveState.connected = up;
  tell();
};

/** The server closes a live connection with 4401 when the token is wrong, revoked or expired, 4403 when it may not subscribe. */
const refusedToken = (event: unknown): boolean => {
  const code = (event as { code?: number } | null)?.code;
  return code === 4401 || code === 4403;
};

function socket(): Client {
  client ??= createClient({
    url: wsUrl(),
    connectionParams: () => authHeaders(),
    lazy: true,
    keepAlive: 10_000,
    // Reconnect for ever with backoff: a console left open across a restart comes back by itself.
    retryAttempts: Number.POSITIVE_INFINITY,
    // …except when the server refused the token: that is for the person to fix, by signing in.
    shouldRetry: (event) => !refusedToken(event),
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** retries))),
    on: {
      connected: () => {
        const again = connections++ > 0;
        setLive(true);
        connectedListeners.forEach((l) => l(again));
      },
      closed: (event) => {
        setLive(false);
        if (refusedToken(event)) refused((event as CloseEvent).reason || 'the live connection was refused: sign in again');
      },
    },
  });
  return client;
}

/** Subscribes while the returned function is not called; each result's data goes to `next`. */
export function subscribe<T = any>(
  query: string,
  variables: Record<string, unknown>,
  next: (data: T) => void,
  onError: (error: ApiError) => void = () => {},
): () => void {
  liveState.subscriptions++;
  tell();
  const stop = socket().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError(toError(result.errors as Errors));
        else if (result.data) next(result.data as T);
      },
      error: (err) => onError(Array.isArray(err) ? toError(err as Errors) : new ApiError(String((err as Error)?.message ?? err), 'SOCKET')),
      complete: () => {},
    },
  );
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    liveState.subscriptions--;
    tell();
    stop();
  };
}

/** Closes the live socket (sign-out): the next subscription opens a new one with the new token. */
export function closeLive(): void {
  void client?.dispose();
  client = null;
  connections = 0;
  setLive(false);
}
