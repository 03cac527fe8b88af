import pino, { type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const childrenOf = new WeakMap<Logger, Set<WeakRef<Logger>>>();

/** The one logger factory: structured JSON on stdout, secrets redacted wherever they appear. */
export function createLogger(level: LevelWithSilent, bindings: Record<string, unknown> = {}): Logger {
  const children = new Set<WeakRef<Logger>>();
  const root = pino({
    level,
    base: { service: 'alertagent', ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.authorization', '*.headers.authorization', '*.password', '*.secret', '*.token', 'config.auth', 'config.database.url'],
      censor: '[redacted]',
    },
    onChild: (child) => children.add(new WeakRef(child)),
  });
  childrenOf.set(root, children);
  return root;
}

/** Changes the level of a root logger and of every child made from it (pino children keep their own level otherwise). */
export function setLogLevel(root: Logger, level: LevelWithSilent): void {
  root.level = level;
  const children = childrenOf.get(root);
  if (!children) return;
  for (const ref of children) {
    const child = ref.deref();
    if (child) child.level = level;
    else children.delete(ref);
  }
}
