import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The api (http://localhost:3000) serves `dist/` at / in single-machine mode; in dev we proxy to it. */
const API_ORIGIN = 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/trpc': { target: API_ORIGIN, ws: true } } },
  preview: { proxy: { '/trpc': { target: API_ORIGIN, ws: true } } },
  build: {
    outDir: 'dist',
  },
});
