// A local implementation of the AWS Lambda runtime API (2018-06-01), as Lambda serves it to a
// custom runtime: GET /runtime/invocation/next hands out one event at a time with its request id,
// deadline and trace headers; the runtime answers with POST .../{id}/response or .../{id}/error;
// a runtime that cannot start posts /runtime/init/error. The test queues events with invoke()
// and gets back what the runtime posted.

import http from 'node:http';

const PREFIX = '/2018-06-01/runtime';

export class LambdaRuntimeApi {
  constructor() {
    this.queue = [];        // events not handed out yet
    this.waitingNext = [];  // responses of GET /next waiting for an event
    this.pending = new Map(); // request id -> { resolve, reject }
    this.initErrors = [];
    this.onInitError = null;
    this.sequence = 0;
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const res of this.waitingNext) res.destroy();
    this.waitingNext = [];
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  // Queues one event; resolves with { kind: 'response' | 'error', json, headers } once the
  // runtime answered, or rejects after timeoutMs.
  invoke(event, { deadlineMs = Date.now() + 60_000, timeoutMs = 60_000, traceId } = {}) {
    const id = `req-${++this.sequence}-${Math.random().toString(16).slice(2, 10)}`;
    const payload = typeof event === 'string' ? event : JSON.stringify(event);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the runtime did not answer invocation ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
      });
      this.queue.push({ id, payload, deadlineMs, traceId });
      this.dispatch();
    });
  }

  dispatch() {
    while (this.queue.length && this.waitingNext.length) {
      const res = this.waitingNext.shift();
      if (res.destroyed) continue;
      const { id, payload, deadlineMs, traceId } = this.queue.shift();
      const headers = {
        'content-type': 'application/json',
        'lambda-runtime-aws-request-id': id,
        'lambda-runtime-deadline-ms': String(deadlineMs),
        'lambda-runtime-invoked-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:rendermart',
      };
      if (traceId) headers['lambda-runtime-trace-id'] = traceId;
      res.writeHead(200, headers);
      res.end(payload);
    }
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url;
      if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
        // No answer until there is an event: the runtime must not time this request out.
        this.waitingNext.push(res);
        this.dispatch();
        return;
      }
      const answer = url.match(new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`));
      if (req.method === 'POST' && answer) {
        const waiter = this.pending.get(answer[1]);
        if (!waiter) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorMessage: 'unknown request id', errorType: 'InvalidRequestID' }));
          return;
        }
        this.pending.delete(answer[1]);
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
        waiter.resolve({ kind: answer[2], json: JSON.parse(body), headers: req.headers });
        return;
      }
      if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
        this.initErrors.push({ json: JSON.parse(body), headers: req.headers });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"OK"}');
        if (this.onInitError) this.onInitError();
        return;
      }
      res.writeHead(404);
      res.end();
    });
  }
}

export const API_DOMAIN = 'api1.execute-api.us-east-1.amazonaws.com';

// API Gateway proxy events of HTTP APIs (payload 2.0) and REST APIs (payload 1.0). Host is the
// API's domain, as API Gateway sends it; an event with cookies carries the Origin of that domain,
// as the web app's requests from a browser do (an origin given as null is left out).
export function httpApiEvent(method, rawPath, { query = '', headers = {}, cookies, body, base64 = false, stage = '$default' } = {}) {
  const fullPath = stage === '$default' ? rawPath : `/${stage}${rawPath}`;
  const sent = { 'user-agent': 'lambda-test', host: API_DOMAIN, ...(cookies ? { origin: `https://${API_DOMAIN}` } : {}), ...headers };
  for (const [name, value] of Object.entries(sent)) if (value === null) delete sent[name];
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: fullPath,
    rawQueryString: query,
    headers: sent,
    requestContext: {
      accountId: '123456789012', apiId: 'api1', domainName: API_DOMAIN,
      http: { method, path: fullPath, protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'lambda-test' },
      requestId: `gw-${Math.random().toString(16).slice(2)}`, routeKey: '$default', stage,
      time: new Date().toUTCString(), timeEpoch: Date.now(),
    },
    isBase64Encoded: base64,
  };
  if (cookies) event.cookies = cookies;
  if (body !== undefined) event.body = base64 ? Buffer.from(body).toString('base64') : body;
  return event;
}

export function restApiEvent(method, path, { query, multiHeaders = {}, body, base64 = false, stage = 'prod' } = {}) {
  const headers = {};
  for (const [name, values] of Object.entries(multiHeaders)) headers[name] = values[values.length - 1];
  const single = {};
  for (const [name, values] of Object.entries(query || {})) single[name] = values[values.length - 1];
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multiHeaders,
    queryStringParameters: query ? single : null,
    multiValueQueryStringParameters: query || null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourcePath: '/{proxy+}', httpMethod: method, path: `/${stage}${path}`, stage,
      requestId: `gw-${Math.random().toString(16).slice(2)}`,
      identity: { sourceIp: '203.0.113.9', userAgent: 'lambda-test' },
    },
    body: body === undefined ? null : (base64 ? Buffer.from(body).toString('base64') : body),
    isBase64Encoded: base64,
  };
}
