// Baseline for bench/platform_bench.py: GET /api/v1/images?limit=50 and
// GET /api/v1/images/:id/thumbnail served by Express 4 (the original RenderMart's framework) from
// the same SQLite database and blob directory as the C++ server, with the same session cookie,
// the same query and the same JSON, so that the two measure the same work.
//   node server.mjs --port P --data-dir DIR

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import express from 'express';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } });
const dataDir = values['data-dir'];
const db = new Database(path.join(dataDir, 'rendermart.db'), { readonly: true, fileMustExist: true });

const findSession = db.prepare('SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?');
const listImages = db.prepare(
  'SELECT * FROM images WHERE user_id = ? AND (? = \'\' OR id < ?) ORDER BY id DESC LIMIT ?');
const getImage = db.prepare('SELECT * FROM images WHERE user_id = ? AND id = ?');

const iso = (ms) => new Date(ms).toISOString();
const render = (r) => ({
  id: r.id, generation_id: r.job_id, index: r.idx, prompt: r.prompt,
  negative_prompt: r.negative_prompt, model: r.model, style: r.style, width: r.width,
  height: r.height, steps: r.steps, cfg_scale: r.cfg_scale, seed: r.seed, title: r.title,
  tags: JSON.parse(r.tags), favorite: r.favorite !== 0, bytes: r.bytes, created_at: iso(r.created_at),
  file_url: `/api/v1/images/${r.id}/file`, thumbnail_url: `/api/v1/images/${r.id}/thumbnail?size=256`,
});

function user(req) {
  const match = /(?:^|;\s*)rm_session=([^;]+)/.exec(req.headers.cookie ?? '');
  if (!match) return null;
  const hash = crypto.createHash('sha256').update(match[1]).digest('hex');
  return findSession.get(hash, Date.now())?.user_id ?? null;
}

const app = express();
app.get('/api/v1/images', (req, res) => {
  const userId = user(req);
  if (!userId) return res.status(401).json({ error: { code: 'unauthenticated', message: 'sign in' } });
  const limit = Number(req.query.limit ?? 50);
  const after = req.query.cursor ? Buffer.from(req.query.cursor, 'base64url').toString() : '';
  const rows = listImages.all(userId, after, after, limit);
  const next = rows.length === limit ? Buffer.from(rows.at(-1).id).toString('base64url') : null;
  res.json({ items: rows.map(render), next_cursor: next });
});
app.get('/api/v1/images/:id/thumbnail', async (req, res) => {
  const userId = user(req);
  if (!userId) return res.status(401).json({ error: { code: 'unauthenticated', message: 'sign in' } });
  const row = getImage.get(userId, req.params.id);
  if (!row) return res.status(404).json({ error: { code: 'not_found', message: 'image not found' } });
  const size = req.query.size === '512' ? 512 : 256;
  const bytes = await fs.readFile(path.join(dataDir, 'blobs', `${row.blob_key}.thumb${size}.webp`));
  res.set('Content-Type', 'image/webp').set('ETag', `"${row.sha256}-${size}"`).send(bytes);
});
app.listen(Number(values.port), '127.0.0.1', () => console.log('listening'));
