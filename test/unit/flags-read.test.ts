import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FLAG_NAMES } from '../../src/services/flags/flag-definitions';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('flag definitions', () => {
  it('list only flags that code outside the flag service reads with isEnabled', () => {
    const code = sources(join(__dirname, '../../src'))
      .filter((path) => !path.includes(join('services', 'flags')))
      .map((path) => readFileSync(path, 'utf8'))
      .join('\n');
    const unread = FLAG_NAMES.filter((flag) => !new RegExp(`isEnabled\\(\\s*'${flag.replace('.', '\\.')}'`).test(code));
    expect(unread).toEqual([]);
  });
});
