// What protects signed-in browsers, through real HTTP: the CSRF rules for cookie-authenticated
// changes (media type, Origin, Sec-Fetch-Site; API keys unaffected; bodiless cancel and logout
// too), the security headers on HTML, JSON, images and errors, and absolute URLs that come from
// the configured public URL or a trusted proxy, never from a Host header a client chose.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { buildRequest, rawExchange } from './lib/rawhttp.mjs';
import {
  createGeneration, expectError, expectStatus, getGeneration, listAll, register, runBinary,
  startServer, uniqueEmail, waitFor, DEFAULT_PASSWORD,
} from './lib/server.mjs';

const FOREIGN = 'http://127.0.0.1:8999'; // another port of the same host: the same site
const PARAMS = { prompt: 'a lighthouse in fog', width: 128, height: 128, count: 1 };

describe('CSRF: cookie-authenticated changes must come from the app itself', () => {
  let server;
  let cookie;
  let key;
  before(async () => {
    // No workers: jobs stay queued, so that cancels can be checked.
    server = await startServer({ name: 'csrf', args: ['--workers', '0'] });
    cookie = await register(server, uniqueEmail('csrf'));
    key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'csrf' } }), 201).json.secret;
  });
  after(async () => { await server?.stop(); });

  const create = (headers, { auth, body = JSON.stringify(PARAMS) } = {}) =>
    server.api('POST', '/api/v1/generations', { auth: auth ?? cookie, headers, body, raw: true });

  test('the media type is parsed: only application/json passes', async () => {
    const own = server.baseUrl;
    expectStatus(await create({ origin: own, 'content-type': 'application/json' }), 202);
    expectStatus(await create({ origin: own, 'content-type': 'Application/JSON; charset=utf-8' }), 202);
    expectError(await create({ origin: own, 'content-type': 'text/plain; a=json' }), 415, 'unsupported_media_type');
    expectError(await create({ origin: own, 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    // fetch sends a string body as text/plain unless told otherwise: a Blob without type sends none.
    expectError(await create({ origin: own }, { body: new Blob([JSON.stringify(PARAMS)]) }), 415, 'unsupported_media_type');
  });

  test('Origin must be this server; without it, Sec-Fetch-Site must be same-origin or none', async () => {
    const json = { 'content-type': 'application/json' };
    for (const origin of [FOREIGN, 'null', 'http://localhost.evil.example', `${server.baseUrl}.evil.example`]) {
      const res = expectError(await create({ ...json, origin }), 403, 'cross_site_request', undefined, origin);
      assert.match(res.json.error.message, /cross-site request refused/);
    }
    expectStatus(await create({ ...json, origin: null, 'sec-fetch-site': 'same-origin' }), 202);
    expectStatus(await create({ ...json, origin: null, 'sec-fetch-site': 'none' }), 202);
    for (const site of ['same-site', 'cross-site']) {
      expectError(await create({ ...json, origin: null, 'sec-fetch-site': site }), 403, 'cross_site_request', undefined, site);
    }
    const bare = expectError(await create({ ...json, origin: null }), 403, 'cross_site_request');
    assert.match(bare.json.error.message, /Origin header/);
  });

  test('API keys are unaffected', async () => {
    const json = { 'content-type': 'application/json' };
    expectStatus(await create({ ...json, origin: FOREIGN }, { auth: { token: key } }), 202);
    expectStatus(await create(json, { auth: { token: key } }), 202);
  });

  test('bodiless changes (cancel, delete, logout) need the origin check, not a media type', async () => {
    const job = await createGeneration(server, cookie, PARAMS);
    expectError(await server.api('POST', `/api/v1/generations/${job.id}/cancel`, { cookie, headers: { origin: FOREIGN } }), 403, 'cross_site_request');
    expectError(await server.api('POST', `/api/v1/generations/${job.id}/cancel`, { cookie, headers: { origin: null } }), 403, 'cross_site_request');
    assert.equal((await getGeneration(server, cookie, job.id)).status, 'queued', 'not canceled');
    const canceled = expectStatus(await server.api('POST', `/api/v1/generations/${job.id}/cancel`, { cookie }), 200);
    assert.equal(canceled.json.status, 'canceled');

    const keyId = (await server.api('GET', '/api/v1/keys', { cookie })).json.items[0].id;
    expectError(await server.api('DELETE', `/api/v1/keys/${keyId}`, { cookie, headers: { origin: FOREIGN } }), 403, 'cross_site_request');

    expectError(await server.api('POST', '/api/v1/auth/logout', { cookie, headers: { origin: FOREIGN } }), 403, 'cross_site_request');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie }), 200, 'still signed in');
  });

  test('signing in from another origin is refused; programs without Origin still sign in', async () => {
    const email = uniqueEmail('csrf-login');
    await register(server, email);
    const body = { email, password: DEFAULT_PASSWORD };
    expectError(await server.api('POST', '/api/v1/auth/login', { body, headers: { origin: FOREIGN } }), 403, 'cross_site_request');
    expectStatus(await server.api('POST', '/api/v1/auth/login', { body }), 200);
  });

  test('only the accepted requests created anything', async () => {
    const jobs = await listAll(server, cookie, '/api/v1/generations');
    // 2 (media types) + 2 (Sec-Fetch-Site) + 2 (API key) + 1 (canceled)
    assert.equal(jobs.length, 7);
    assert.equal(jobs.filter((j) => j.status === 'canceled').length, 1);
  });
});

describe('security headers', () => {
  let server;
  let cookie;
  before(async () => {
    server = await startServer({ name: 'headers', args: ['--workers', '1'] });
    cookie = await register(server, uniqueEmail('headers'));
  });
  after(async () => { await server?.stop(); });

  const everywhere = (res, what) => {
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
    assert.equal(res.headers.get('strict-transport-security'), null, `${what}: no HSTS over plain HTTP`);
  };

  test('HTML gets the CSP; JSON no-store; images keep their caching; errors too', async () => {
    const page = expectStatus(await server.api('GET', '/'), 200);
    everywhere(page, 'the app');
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["script-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
      "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'"]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.ok(!csp.includes('unsafe-inline'), csp);
    assert.ok(!/<script>/.test(page.text), 'the page has no inline script');

    const me = expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie }), 200);
    everywhere(me, 'JSON');
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.equal(me.headers.get('content-security-policy'), null);

    const job = await waitFor(server, cookie, (await createGeneration(server, cookie, PARAMS)).id, 'succeeded');
    const thumb = expectStatus(await server.api('GET', job.images[0].thumbnail_url, { cookie }), 200);
    everywhere(thumb, 'an image');
    assert.match(thumb.headers.get('cache-control'), /private/);

    const missing = expectError(await server.api('GET', '/api/v1/images/nope', { cookie }), 404, 'not_found');
    everywhere(missing, 'an error');
    const unauthenticated = expectError(await server.api('GET', '/api/v1/images'), 401, 'unauthenticated');
    everywhere(unauthenticated, 'a 401');

    const malformed = await rawExchange(server.port, buildRequest('GET', 'no-slash', { host: 'x' }));
    assert.equal(malformed.response.header('x-content-type-options'), 'nosniff', 'an error before routing');

    const login = expectStatus(await server.api('POST', '/api/v1/auth/login', { body: { email: me.json.user.email, password: DEFAULT_PASSWORD } }), 200);
    assert.equal(login.headers.get('cache-control'), 'no-store', 'a response that sets a cookie');
  });

  test('Secure cookies come with HSTS', async () => {
    const secure = await startServer({ name: 'hsts', args: ['--workers', '0'], env: { RENDERMART_SECURE_COOKIES: 'true' } });
    try {
      const res = await secure.api('GET', '/healthz');
      assert.match(res.headers.get('strict-transport-security') ?? '', /^max-age=\d{7,}/);
    } finally {
      await secure.stop();
    }
  });
});

describe('absolute URLs never come from an untrusted Host', () => {
  const servers = [];
  after(async () => { await Promise.all(servers.map((s) => s.stop())); });

  // Asks the OpenAI-compatible endpoint for a url answer with a Host and forwarded headers of our
  // choosing (fetch cannot send another Host); returns the url.
  async function urlFor(server, key, headers) {
    const body = JSON.stringify({ model: 'procedural', prompt: 'a kite', size: '128x128', response_format: 'url' });
    const { response } = await rawExchange(server.port, buildRequest('POST', '/v1/images/generations', {
      ...headers, authorization: `Bearer ${key}`, 'content-type': 'application/json',
      'content-length': Buffer.byteLength(body), connection: 'close',
    }, body), { timeoutMs: 60_000 });
    assert.equal(response.status, 200, response.body?.toString());
    return JSON.parse(response.body.toString()).data[0].url;
  }

  async function serverWithKey(name, env, origin) {
    const server = await startServer({ name, args: ['--workers', '1'], env });
    servers.push(server);
    const cookie = await register(server, uniqueEmail(name));
    const key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name }, headers: origin ? { origin } : {} }), 201).json.secret;
    return { server, key };
  }

  const spoof = { host: 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };

  test('with RENDERMART_PUBLIC_URL, URLs use it whatever Host says', async () => {
    const { server, key } = await serverWithKey('public-url', { RENDERMART_PUBLIC_URL: 'https://images.example.com/' }, 'https://images.example.com');
    const url = await urlFor(server, key, spoof);
    assert.match(url, /^https:\/\/images\.example\.com\/api\/v1\/images\/[^/]+\/file$/);
    // The app's own origin is the public one: a page on the Host the request names is foreign.
    const cookie = await register(server, uniqueEmail('public-url-csrf'));
    expectError(await server.api('POST', '/api/v1/generations', { cookie, body: PARAMS }), 403, 'cross_site_request');
    expectStatus(await server.api('POST', '/api/v1/generations', { cookie, body: PARAMS, headers: { origin: 'https://images.example.com' } }), 202);
  });

  test('without it, a foreign Host gets the listener\'s own address; a trusted proxy is believed', async () => {
    const { server, key } = await serverWithKey('no-public-url', {});
    const own = await urlFor(server, key, spoof);
    assert.ok(own.startsWith(`${server.baseUrl}/api/v1/images/`), own);

    const trusting = await serverWithKey('trusted-proxy', { RENDERMART_TRUSTED_PROXIES: '127.0.0.0/8' });
    const proxied = await urlFor(trusting.server, trusting.key, { host: 'internal:3300', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'images.example.org' });
    assert.ok(proxied.startsWith('https://images.example.org/api/v1/images/'), proxied);
  });

  test('a malformed setting stops the server at start with a message naming it', async () => {
    const bad = await runBinary(['serve'], { RENDERMART_PUBLIC_URL: 'images.example.com', RENDERMART_DATA_DIR: '/nonexistent/never' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /RENDERMART_PUBLIC_URL/);
    const proxies = await runBinary(['serve'], { RENDERMART_TRUSTED_PROXIES: 'proxy.internal', RENDERMART_DATA_DIR: '/nonexistent/never' });
    assert.notEqual(proxies.code, 0);
    assert.match(proxies.out, /RENDERMART_TRUSTED_PROXIES/);
  });
});
