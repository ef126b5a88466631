import { defineConfig } from 'vite';

export default defineConfig({
  // The module awaits init() at the top level.
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  logLevel: 'warn',
});
