import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The console and the GraphQL explorer, built into dist/web and served by `alertagent serve`.
// Everything they load is in the bundle: no CDN, so both work on an air-gapped network.
export default defineConfig({
  root: __dirname,
  base: '/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: resolve(__dirname, '../dist/web'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      // Libraries marked "use client" for React server components; meaningless in a plain bundle.
      onwarn: (warning, warn) => void (warning.code !== 'MODULE_LEVEL_DIRECTIVE' && warn(warning)),
      input: { console: resolve(__dirname, 'index.html'), explorer: resolve(__dirname, 'explorer.html') },
    },
  },
});
