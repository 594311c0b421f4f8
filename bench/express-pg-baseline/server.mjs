// Baseline for bench/read_api_bench.py: the read API written the way the original RenderMart
// service is (Express 4, pg, express-session with connect-pg-simple, passport-local), over the
// same PostgreSQL database and blob directory as the C++ server, doing the same reads:
//   GET /api/v1/images?limit=50[&q=words][&cursor=...]   newest first, or a prompt search
//   GET /api/v1/images/:id                               one image
//   GET /api/v1/images/:id/thumbnail?size=256            its thumbnail file
// Sessions live in PostgreSQL (connect-pg-simple's "session" table) and are touched on every
// request (express-session calls the store's touch for an unmodified session: connect-pg-simple's
// default), and passport deserializes the user from the users table on every request, as such a
// service does. Accounts: POST /register {email, password} links a baseline password (scrypt) to
// the RenderMart user with that email; POST /login signs in.
//   node server.mjs --port P --data-dir DIR --database-url URL

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import connectPgSimple from 'connect-pg-simple';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import pg from 'pg';

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } },
});
const dataDir = values['data-dir'];
const pool = new pg.Pool({ connectionString: values['database-url'], max: 10 });

await pool.query(`CREATE TABLE IF NOT EXISTS baseline_accounts (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, salt TEXT NOT NULL, hash TEXT NOT NULL)`);
await pool.query(`CREATE TABLE IF NOT EXISTS "session" (
  "sid" varchar NOT NULL COLLATE "default" PRIMARY KEY, "sess" json NOT NULL, "expire" timestamp(6) NOT NULL)`);
await pool.query('CREATE INDEX IF NOT EXISTS "IDX_session_expire" ON "session" ("expire")');

const scrypt = (password, salt) => crypto.scryptSync(password, salt, 32).toString('hex');

passport.use(new LocalStrategy({ usernameField: 'email' }, async (email, password, done) => {
  try {
    const { rows } = await pool.query(
      'SELECT u.id, a.salt, a.hash FROM users u JOIN baseline_accounts a ON a.user_id = u.id WHERE lower(u.email) = lower($1)',
      [email]);
    const account = rows[0];
    if (!account || scrypt(password, account.salt) !== account.hash) return done(null, false);
    return done(null, { id: account.id });
  } catch (error) {
    return done(error);
  }
}));
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser(async (id, done) => {
  try {
    const { rows } = await pool.query('SELECT id, email, is_admin FROM users WHERE id = $1', [id]);
    done(null, rows[0] ?? false);
  } catch (error) {
    done(error);
  }
});

const PgSession = connectPgSimple(session);
const app = express();
app.use(express.json());
app.use(session({
  store: new PgSession({ pool, tableName: 'session', pruneSessionInterval: false }),
  secret: 'benchmark only', resave: false, saveUninitialized: false, cookie: { maxAge: 30 * 86400 * 1000 },
}));
app.use(passport.session());

app.post('/register', async (req, res) => {
  const salt = crypto.randomBytes(16).toString('hex');
  const { rowCount } = await pool.query(
    `INSERT INTO baseline_accounts (user_id, salt, hash) SELECT id, $2, $3 FROM users WHERE lower(email) = lower($1)
     ON CONFLICT (user_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash`,
    [req.body.email, salt, scrypt(req.body.password, salt)]);
  res.status(rowCount === 1 ? 201 : 404).end();
});
app.post('/login', passport.authenticate('local'), (req, res) => res.json({ id: req.user.id }));

const signedIn = (req, res, next) => (req.user ? next()
  : res.status(401).json({ error: { code: 'unauthenticated', message: 'sign in' } }));

// The row as the API's JSON: every stored column under the API's names.
const hidden = new Set(['user_id', 'search', 'blob_key', 'sha256', 'thumbnail_bytes']);
const renamed = { idx: 'index', job_id: 'generation_id' };
function render(row) {
  const out = {};
  for (const [column, value] of Object.entries(row)) {
    if (hidden.has(column)) continue;
    const key = renamed[column] ?? column;
    if (column === 'created_at') out[key] = new Date(Number(value)).toISOString();
    else if (column === 'tags' || column === 'loras') out[key] = JSON.parse(value);
    else out[key] = typeof value === 'string' && /^-?\d+$/.test(value) && column.endsWith('bytes') ? Number(value) : value;
  }
  out.file_url = `/api/v1/images/${row.id}/file`;
  out.thumbnail_url = `/api/v1/images/${row.id}/thumbnail?size=256`;
  return out;
}

// The same prefix search as RenderMart's: every word, as a prefix, in the indexed text.
function tsquery(text) {
  const words = (text.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => `'${w}':*`);
  return words.join(' & ');
}

app.get('/api/v1/images', signedIn, async (req, res) => {
  const limit = Math.min(Number(req.query.limit ?? 50), 100);
  const params = [req.user.id, limit];
  let sql = 'SELECT * FROM images WHERE user_id = $1';
  if (req.query.cursor) {
    params.push(Buffer.from(req.query.cursor, 'base64url').toString());
    sql += ` AND id < $${params.length}`;
  }
  if (req.query.q) {
    params.push(tsquery(String(req.query.q)));
    sql += ` AND search @@ to_tsquery('rendermart_search', $${params.length})`;
  }
  const { rows } = await pool.query(`${sql} ORDER BY id DESC LIMIT $2`, params);
  const next = rows.length === limit ? Buffer.from(rows.at(-1).id).toString('base64url') : null;
  res.json({ items: rows.map(render), next_cursor: next });
});

async function ownImage(req, res) {
  const { rows } = await pool.query('SELECT * FROM images WHERE user_id = $1 AND id = $2', [req.user.id, req.params.id]);
  if (!rows[0]) res.status(404).json({ error: { code: 'not_found', message: 'image not found' } });
  return rows[0];
}

app.get('/api/v1/images/:id', signedIn, async (req, res) => {
  const row = await ownImage(req, res);
  if (row) res.json(render(row));
});
app.get('/api/v1/images/:id/thumbnail', signedIn, async (req, res) => {
  const row = await ownImage(req, res);
  if (!row) return;
  const size = req.query.size === '512' ? 512 : 256;
  const bytes = await fs.readFile(path.join(dataDir, 'blobs', `${row.blob_key}.thumb${size}.webp`));
  res.set('Content-Type', 'image/webp').set('ETag', `"${row.sha256}-${size}"`).send(bytes);
});

app.listen(Number(values.port), '127.0.0.1', () => console.log('listening'));
