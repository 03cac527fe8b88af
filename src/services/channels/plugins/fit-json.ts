import { truncateToBytes, utf8Bytes } from '../text-budget';

/**
 * Builds a JSON body whose total size stays within `maxBytes` by cutting `text` (JSON escaping
 * can grow a string, so the cut is re-checked until it fits).
 */
export function fitJsonBody(build: (text: string) => unknown, text: string, maxBytes: number): string {
  let current = text;
  let body = JSON.stringify(build(current));
  for (let i = 0; i < 8 && utf8Bytes(body) > maxBytes; i += 1) {
    const overflow = utf8Bytes(body) - maxBytes;
    current = truncateToBytes(current, Math.max(0, utf8Bytes(current) - overflow - 16));
    body = JSON.stringify(build(current));
  }
  return body;
}
