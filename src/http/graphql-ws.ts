import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { RequestContext } from '@mikro-orm/core';
import {
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError, UnauthenticatedError } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import type { createErrorFormatter } from '../graphql/format-error';
import { admitOperation, asGraphQLError } from '../graphql/operation-guard';
import type { Services } from '../services';
import type { Principal } from '../services/security/principal';
import type { RequestLimits } from '../services/security/request-limits';
import { SharedSubscriptions, type SubscriberSink } from './shared-subscriptions';

/** graphql-ws close codes beyond the protocol's own (4400–4499 are the protocol's). */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_TOO_MANY = 4429;
const CLOSE_IDLE = 4000;
/** Ping every this often; a socket that has not answered the previous ping by then is dropped. */
const KEEP_ALIVE_MS = 15_000;
/** A socket must send connection_init within this, or it is closed. */
const INIT_WAIT_MS = 3_000;

/** What a connection carries besides graphql-ws's own socket and request: filled in once it is accepted. */
type WsExtra = {
  principal?: Principal | null;
  ip?: string;
  callerKey?: string;
  idle?: NodeJS.Timeout;
  running?: Map<string, () => void>;
};
type Extra = Partial<WsExtra> & { socket: WebSocket; request: IncomingMessage };

export interface SubscriptionServerDeps {
  services: Services;
  schema: GraphQLSchema;
  rules: ValidationRule[];
  formatError: ReturnType<typeof createErrorFormatter>;
  limits: RequestLimits;
  clientAddress(req: IncomingMessage): string;
}

/**
 * graphql-ws on the GraphQL path: the same schema, authentication, validation, cost and rate
 * limits as HTTP. A connection needs a valid token in connection_init; connections are capped in
 * all, per client address and per caller; unresponsive sockets (no pong) and idle ones (no
 * operation for a while) are closed.
 */
export function serveSubscriptions(
  httpServer: Server,
  path: string,
  deps: SubscriptionServerDeps,
): { dispose(): Promise<void>; close(): void } {
  const { services, schema, rules, formatError, limits } = deps;
  const { auth, logger, storage, config } = services;
  const settings = config.server;
  const perAddress = new Map<string, number>();
  const perCaller = new Map<string, number>();
  const count = (map: Map<string, number>, key: string, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next > 0) map.set(key, next);
    else map.delete(key);
  };

  const wsServer = new WebSocketServer({
    server: httpServer,
    path,
    maxPayload: settings.bodyLimitBytes,
    // Uncompressed: subscription results are framed by hand (socketSink), and compression would cost per socket.
    perMessageDeflate: false,
    // Refused at the upgrade, before a socket is kept: over the total, or over the client address's share.
    verifyClient: ({ req }, done) => {
      const address = deps.clientAddress(req);
      if (wsServer.clients.size >= settings.maxSubscriptionSockets) return done(false, 503, 'too many subscription connections');
      if ((perAddress.get(address) ?? 0) >= settings.maxSubscriptionSocketsPerIp)
        return done(false, 429, 'too many subscription connections from this address');
      done(true);
    },
  });
  wsServer.on('connection', (socket, req) => {
    const address = deps.clientAddress(req);
    count(perAddress, address, 1);
    socket.once('close', () => count(perAddress, address, -1));
  });

  // graphql-ws insists on GraphQLError instances, so the formatted message and code are put back into one.
  const format = (errors: readonly GraphQLError[]): GraphQLError[] =>
    errors.map((error) => {
      const formatted = formatError(error.toJSON(), error);
      return new GraphQLError(formatted.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        extensions: formatted.extensions,
      });
    });
  const withOrmContext = <T>(fn: () => T): T => RequestContext.create(storage.orm.em, fn);
  const shared = new SharedSubscriptions({
    serialize: (result) =>
      JSON.stringify(result.errors ? { ...result, errors: format(result.errors).map((error) => error.toJSON()) } : result),
    onDropped: () => services.metrics.subscriptionDropped.inc(),
    onSources: (count) => services.metrics.subscriptionSources.set(count),
  });
  /** A subscription's sharing key (who may see what, and what is asked) and where its results are written. */
  const sharing = new WeakMap<ExecutionArgs, { key: string; sink: SubscriberSink }>();
  const idleSoon = (extra: Extra) => {
    clearTimeout(extra.idle);
    extra.idle = setTimeout(
      () => extra.socket.close(CLOSE_IDLE, `idle: no operation for ${Math.round(settings.subscriptionIdleMs / 1000)} s`),
      settings.subscriptionIdleMs,
    );
    extra.idle.unref();
  };
  const finish = (extra: Extra, id: string) => {
    extra.running?.get(id)?.();
    extra.running?.delete(id);
    if (extra.running?.size === 0) idleSoon(extra);
  };

  const disposable = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      connectionInitWaitTimeout: INIT_WAIT_MS,
      onConnect: async (ctx) => {
        const extra = ctx.extra;
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        try {
          const principal = await withOrmContext(() => auth.authenticate(typeof header === 'string' ? header : undefined));
          if (!principal)
            throw new UnauthenticatedError('subscriptions need a token: send {"authorization": "Bearer <token>"} as connection parameters');
          const key = `${principal.kind}:${principal.id}`;
          if ((perCaller.get(key) ?? 0) >= settings.maxSubscriptionSocketsPerCaller) {
            extra.socket.close(
              CLOSE_TOO_MANY,
              `this token has ${settings.maxSubscriptionSocketsPerCaller} subscription connections open already`,
            );
            return false;
          }
          count(perCaller, key, 1);
          Object.assign(extra, { principal, ip: deps.clientAddress(extra.request), callerKey: key, running: new Map() });
          idleSoon(extra);
          return true;
        } catch (err) {
          if (!(err instanceof UnauthenticatedError)) logger.error({ err }, 'graphql-ws connection check failed');
          extra.socket.close(CLOSE_UNAUTHORIZED, err instanceof UnauthenticatedError ? err.message.slice(0, 120) : 'authentication failed');
          return false;
        }
      },
      onClose: (ctx) => {
        const extra = ctx.extra;
        clearTimeout(extra.idle);
        for (const release of extra.running?.values() ?? []) release();
        if (extra.callerKey) count(perCaller, extra.callerKey, -1);
      },
      onSubscribe: async (ctx, id, payload) => {
        const extra = ctx.extra;
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.graphql.maxTokens });
        } catch (err) {
          return format([err as GraphQLError]);
        }
        const errors = validate(schema, document, [...specifiedRules, ...rules]);
        if (errors.length > 0) return format(errors);
        const type = getOperationAST(document, payload.operationName)?.operation;
        try {
          await limits.admitRequest(extra.ip!).catch((err) => {
            throw err instanceof AppError ? asGraphQLError(err) : err;
          });
          const release = await admitOperation(
            schema,
            limits,
            { principal: extra.principal ?? null, ip: extra.ip! },
            { document, variables: payload.variables ?? undefined, operationName: payload.operationName, type },
          );
          clearTimeout(extra.idle);
          extra.running!.set(id, release);
        } catch (err) {
          return format([err as GraphQLError]);
        }
        const requestId = `ws-${crypto.randomUUID()}`;
        const contextValue: GraphQLContext = {
          requestId,
          principal: extra.principal ?? null,
          logger: logger.child({ requestId }),
          clientIp: extra.ip!,
          deadline: type === 'subscription' ? undefined : Date.now() + config.graphql.timeoutMs,
          readTurn: type === 'query' ? (read) => limits.readTurn(read) : undefined,
          visibleClusters: () => services.clusters.namesInScope(extra.principal ?? null),
          visibleChannels: async () => (extra.principal ? services.channels.visibleChannelIds(extra.principal) : null),
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
        if (type === 'subscription') {
          const grant = extra.principal?.grant;
          const rights = grant ? [grant.role, [...grant.permissions].sort(), grant.scopes] : null;
          const key = createHash('sha256')
            .update(JSON.stringify([rights, payload.query, payload.operationName ?? null, payload.variables ?? null]))
            .digest('base64url');
          sharing.set(args, { key, sink: socketSink(extra.socket, id, settings.subscriptionBufferBytes, settings.subscriptionFlushMs) });
        }
        return args;
      },
      execute: (args) => withOrmContext(() => execute(args)),
      subscribe: (args) => {
        const { key, sink } = sharing.get(args)!;
        return shared.subscribe(args, key, sink, withOrmContext);
      },
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        return { ...result, errors: format(result.errors) };
      },
      onError: (ctx, id, _payload, errors) => {
        finish(ctx.extra, id);
        return format(errors);
      },
      onComplete: (ctx, id) => finish(ctx.extra, id),
    },
    wsServer,
    KEEP_ALIVE_MS,
  );
  return { dispose: async () => disposable.dispose(), close: () => wsServer.close() };
}

/** Sockets whose writes are being held to go out together. */
const holding = new WeakSet<import('node:net').Socket>();

/** Writes `frame`; writes to the socket within `flushMs` of the first go out in one system call. */
function writeSoon(raw: import('node:net').Socket, frame: Buffer, flushMs: number): void {
  if (flushMs > 0 && !holding.has(raw) && !raw.destroyed) {
    holding.add(raw);
    raw.cork();
    setTimeout(() => {
      holding.delete(raw);
      raw.uncork();
    }, flushMs).unref();
  }
  raw.write(frame);
}

/**
 * Writes a shared result to one subscriber as graphql-ws's `next` message, the payload already
 * serialized; refuses it while the socket holds more than `bufferBytes` unwritten. The WebSocket
 * frame is built here (a server's frames are not masked, and this server does not compress), so
 * a result costs one buffer copy per subscriber instead of a pass through ws and graphql-ws.
 */
function socketSink(socket: WebSocket, id: string, bufferBytes: number, flushMs: number): SubscriberSink {
  const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  const raw = (socket as unknown as { _socket?: import('node:net').Socket })._socket;
  return {
    write(payload) {
      if (socket.readyState !== socket.OPEN) return true;
      if ((raw?.writableLength ?? 0) + socket.bufferedAmount > bufferBytes) return false;
      if (raw) writeSoon(raw, textFrame(prefix, payload), flushMs);
      else socket.send(Buffer.concat([prefix, payload, CLOSING_BRACE]), { binary: false });
      return true;
    },
  };
}

const CLOSING_BRACE = Buffer.from('}');

/** One unmasked, final text frame (RFC 6455 §5.2) holding `head`, `body` and a closing brace. */
function textFrame(head: Buffer, body: Buffer): Buffer {
  const length = head.length + body.length + 1;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  head.copy(frame, headerLength);
  body.copy(frame, headerLength + head.length);
  frame[frame.length - 1] = 0x7d;
  return frame;
}
