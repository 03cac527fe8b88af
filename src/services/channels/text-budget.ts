export const TRUNCATION_MARKER = '\n…(truncated)';

/** UTF-8 byte length, which is what DingTalk and WeCom count. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Cuts `text` so it takes at most `maxBytes` UTF-8 bytes including the marker, never splitting
 * a character (a half character would make the peer reject the whole message).
 */
export function truncateToBytes(text: string, maxBytes: number, marker = TRUNCATION_MARKER): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const room = maxBytes - utf8Bytes(marker);
  if (room <= 0) return marker.slice(0, Math.max(0, maxBytes));
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = utf8Bytes(char);
    if (bytes + size > room) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end) + marker;
}

/** Character-count version for peers that count characters (Slack). */
export function truncateToChars(text: string, maxChars: number, marker = TRUNCATION_MARKER): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  return chars.slice(0, Math.max(0, maxChars - marker.length)).join('') + marker;
}
