// The package ships types, but its `exports` map does not point at them, so node16 resolution misses them.
declare module '@prometheus-io/lezer-promql' {
  import type { LRParser } from '@lezer/lr';
  export const parser: LRParser;
}
