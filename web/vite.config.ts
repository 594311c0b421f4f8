import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

// Text files worth compressing; images and fonts are compressed already.
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|txt|map|webmanifest)$/;

/**
 * Writes `name.br` and `name.gz` beside every text file of the build (public/ copies included),
 * at the highest levels: the work is done once here, and `rendermart serve` sends the copy that
 * the request's Accept-Encoding allows (src/http/static_files.cpp). A copy that would not be
 * smaller is not written.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'rendermart-precompress',
    apply: 'build',
    configResolved(config) { outDir = path.resolve(config.root, config.build.outDir); },
    closeBundle() {
      for (const entry of fs.readdirSync(outDir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
        const file = path.join(entry.parentPath, entry.name);
        const bytes = fs.readFileSync(file);
        const copies: Array<[string, Buffer]> = [
          ['.br', zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY } })],
          ['.gz', zlib.gzipSync(bytes, { level: zlib.constants.Z_BEST_COMPRESSION })],
        ];
        for (const [suffix, compressed] of copies) {
          if (compressed.length < bytes.length) fs.writeFileSync(file + suffix, compressed);
        }
      }
    },
  };
}

// The app is served by `rendermart serve` from web/dist (same origin as /api/v1).
// In development, `npm run dev` proxies /api to a running server (RENDERMART_URL, default :3300).
export default defineConfig({
  plugins: [react(), precompress()],
  resolve: { alias: { '@': path.resolve(__dirname, 'src') } },
  build: { target: 'es2020', sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    proxy: { '/api': { target: process.env.RENDERMART_URL ?? 'http://localhost:3300', changeOrigin: false } },
  },
});
