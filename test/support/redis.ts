import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueSuffix } from './env';

/** A key prefix of the suite's own; `cleanup` removes every key under it. */
export function testRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `aatest_${uniqueSuffix()}`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** A Redis server of the test's own, which it may kill, pause and restart without touching the shared one. */
export interface OwnRedis {
  url: string;
  /** SIGKILL: connections drop at once. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and nothing answers. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port (empty, unless it was started with a directory to persist in). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `persistIn`: a directory where it keeps every write (append-only file, fsync always), as a production Redis with persistence would. */
export async function startOwnRedis(port: number, persistIn?: string): Promise<OwnRedis> {
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    const persistence = persistIn ? ['--dir', persistIn, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence], { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    for (let tries = 0; ; tries += 1) {
      try {
        await probe.connect();
        await probe.ping();
        break;
      } catch (err) {
        if (tries > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    kill,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    start,
    stop: kill,
  };
}
