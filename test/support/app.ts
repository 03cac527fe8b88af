import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Config } from '../../src/config';
import { testConfig } from './app-config';
import { serve, type ServeHandle } from '../../src/cli/serve';
import { createLogger } from '../../src/shared/logger';
import { CLI_PRINCIPAL } from '../../src/services/security/principal';
import { RequestContext } from '@mikro-orm/core';
import type { Role } from '../../src/entities/security/api-token.entity';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
}

export interface TestServer {
  handle: ServeHandle;
  url: string;
  baseUrl: string;
  config: Config;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /** Issues a token straight through the service, as the CLI does. */
  issueToken(role: Role, name?: string): Promise<string>;
  wsClient(token?: string): Client;
  stop(): Promise<void>;
}

/** Starts a real `serve` on a free port. */
export async function startTestServer(env: Record<string, string | undefined>): Promise<TestServer> {
  const config = testConfig(env);
  const handle = await serve({ config, port: 0, logger: createLogger(config.log.level) });
  const baseUrl = `http://127.0.0.1:${handle.server.port}`;
  const url = `${baseUrl}/graphql`;
  const clients: Client[] = [];
  return {
    handle,
    url,
    baseUrl,
    config,
    async gql(query, variables, token) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async issueToken(role, name = `test-${role}`) {
      const { apiTokens, storage } = handle.services;
      const created = await RequestContext.create(storage.orm.em, () => apiTokens.create({ name, role }, { principal: CLI_PRINCIPAL }));
      return created.token;
    },
    wsClient(token) {
      const client = createClient({
        url: url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await handle.stop();
    },
  };
}

/** Collects the next `count` results of a graphql-ws subscription, or fails after `timeoutMs`. */
export function nextResults<T>(client: Client, query: string, count = 1, timeoutMs = 10_000) {
  const results: Array<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }> = [];
  let unsubscribe: () => void = () => {};
  const done = new Promise<typeof results>((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`subscription got ${results.length} of ${count} results in ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve(results);
    };
    unsubscribe = client.subscribe<T>(
      { query },
      {
        next: (value) => {
          results.push(value as (typeof results)[number]);
          if (results.length >= count) finish();
        },
        error: (err) => {
          clearTimeout(timer);
          reject(err);
        },
        complete: finish,
      },
    );
  });
  return { done, unsubscribe: () => unsubscribe() };
}
