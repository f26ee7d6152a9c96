import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The api (http://localhost:3000) serves `dist/` at / in single-machine mode; in dev we proxy to it. */
const API_ORIGIN = 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/trpc': API_ORIGIN } },
  preview: { proxy: { '/trpc': API_ORIGIN } },
  build: {
    outDir: 'dist',
  },
});
