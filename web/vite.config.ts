import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

// The app is served by `rendermart serve` from web/dist (same origin as /api/v1).
// In development, `npm run dev` proxies /api to a running server (RENDERMART_URL, default :3300).
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': path.resolve(__dirname, 'src') } },
  build: { target: 'es2020', sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    proxy: { '/api': { target: process.env.RENDERMART_URL ?? 'http://localhost:3300', changeOrigin: false } },
  },
});
