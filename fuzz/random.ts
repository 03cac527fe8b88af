/** A seeded random source, so a failing run can be repeated (FUZZ_SEED). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += '0123456789abcdef'[this.int(0, 15)];
    return out;
  }

  /** Text as alerts carry it: words, numbers, punctuation, now and then non-Latin scripts and emoji. */
  text(maxWords: number): string {
    const words = [
      'disk',
      'usage',
      'above',
      '90%',
      'on',
      'node',
      'pod',
      'crash',
      'looping',
      '磁盘使用率过高',
      'ошибка',
      'عالي',
      '🔥',
      'p99',
      'latency',
      '2.4s',
      'for',
      '10m',
      '`kubectl`',
      '**bold**',
      '<b>',
      '&amp;',
      '"quoted"',
      "it's",
      'tab\there',
      'new\nline',
    ];
    return Array.from({ length: this.int(1, maxWords) }, () => this.pick(words)).join(' ');
  }
}

/** Strings that break naive code and storage: control characters, half surrogates, huge, odd Unicode. */
export function hostileString(random: Random): string {
  return random.pick([
    '',
    ' ',
    'a\u0000b',
    '\u0000',
    'half \ud83d pair',
    '\udc00 lone low',
    'emoji 🔥🚨✅',
    '\u202eRTL override',
    'zero\u200bwidth',
    'x'.repeat(random.int(1_000, 200_000)),
    '"; drop table alert_record; --',
    "' or '1'='1",
    'a;b',
    '{{ 7*7 }}{% include "data/encryption.key" %}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell probe, written as attackers write it
    '${jndi:ldap://x}',
    '../../../../etc/passwd',
    '\\u0000 written out',
    '\r\n\r\nHTTP/1.1 200 OK',
    '%00%0d%0a',
    '__proto__',
    'constructor',
    String(Number.MAX_SAFE_INTEGER),
    '-1',
    '1e400',
    'NaN',
  ]);
}

/** A value of any JSON type, hostile or plain. */
export function anyValue(random: Random): unknown {
  return random.pick<() => unknown>([
    () => null,
    () => random.int(-5, 5),
    () => 1e308 * 10,
    () => 2 ** 53 + 1,
    () => -0.5,
    () => random.chance(0.5),
    () => hostileString(random),
    () => [],
    () => [hostileString(random), 1, null],
    () => ({}),
    () => ({ nested: { deeper: hostileString(random) } }),
  ])();
}

/** JSON nested `depth` levels deep, as text (built as text: JSON.stringify would overflow first). */
export function deepJson(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}
