// Raw TCP exchanges, for requests fetch cannot or will not send (malformed request lines, huge
// headers, bytes after a HEAD answer, ...).

import net from 'node:net';

// Finds the end of the header block; returns the offset of the body or -1.
function headerEnd(buf) {
  const i = buf.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
}

// Parses the first HTTP response in buf. Returns null while incomplete, else
// { status, reason, headers: {name: [values]}, header(name), body, rest, complete }.
// head: the request was HEAD (the response has no body whatever its headers say).
export function parseResponse(buf, { head = false, eof = false } = {}) {
  const end = headerEnd(buf);
  if (end < 0) return null;
  const lines = buf.toString('latin1', 0, end - 4).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) return { status: -1, reason: `bad status line ${JSON.stringify(lines[0].slice(0, 100))}`, headers: {}, header: () => undefined, body: Buffer.alloc(0), rest: Buffer.alloc(0), complete: true };
  const headers = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c < 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(c + 1).trim());
  }
  const header = (name) => headers[name.toLowerCase()]?.[0];
  const status = Number(m[1]);
  const base = { status, reason: m[2] ?? '', headers, header };
  const afterHeaders = buf.subarray(end);
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { ...base, body: Buffer.alloc(0), rest: afterHeaders, complete: true };
  }
  const te = header('transfer-encoding');
  if (te && /chunked/i.test(te)) {
    let off = 0;
    const parts = [];
    for (;;) {
      const lineEnd = afterHeaders.indexOf('\r\n', off);
      if (lineEnd < 0) return eof ? { ...base, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false } : null;
      const size = parseInt(afterHeaders.toString('latin1', off, lineEnd), 16);
      if (Number.isNaN(size)) return { ...base, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false };
      off = lineEnd + 2;
      if (size === 0) {
        const trailerEnd = afterHeaders.indexOf('\r\n', off);
        if (trailerEnd < 0) return eof ? { ...base, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false } : null;
        return { ...base, body: Buffer.concat(parts), rest: afterHeaders.subarray(trailerEnd + 2), complete: true };
      }
      if (afterHeaders.length < off + size + 2) {
        return eof ? { ...base, body: Buffer.concat(parts), rest: Buffer.alloc(0), complete: false } : null;
      }
      parts.push(afterHeaders.subarray(off, off + size));
      off += size + 2;
    }
  }
  const cl = header('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (afterHeaders.length < n) return eof ? { ...base, body: afterHeaders, rest: Buffer.alloc(0), complete: false } : null;
    return { ...base, body: afterHeaders.subarray(0, n), rest: afterHeaders.subarray(n), complete: true };
  }
  // No length: the body runs to the end of the connection.
  if (!eof) return null;
  return { ...base, body: afterHeaders, rest: Buffer.alloc(0), complete: true };
}

// Sends `chunks` (a string/Buffer or an array of them) over a new connection and collects the
// answer. Resolves (never rejects) with
//   { response (parsed first response or null), data (all bytes received), closed (the server
//     closed the connection), timedOut, error (socket error text, e.g. ECONNRESET) }.
// waitForClose: keep reading after a complete response until the server closes (or timeout).
export function rawExchange(port, chunks, { timeoutMs = 10_000, head = false, waitForClose = false, host = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const received = [];
    let settled = false;
    let closed = false;
    let error = null;
    const socket = net.connect({ port, host });
    const finish = (timedOut) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const data = Buffer.concat(received);
      socket.destroy();
      resolve({ response: parseResponse(data, { head, eof: true }), data, closed, timedOut, error });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (!waitForClose) {
        const parsed = parseResponse(Buffer.concat(received), { head });
        if (parsed && parsed.complete) finish(false);
      }
    });
    socket.on('error', (err) => { error = err.code ?? err.message; });
    socket.on('close', () => { closed = true; finish(false); });
    socket.on('connect', async () => {
      const list = Array.isArray(chunks) ? chunks : [chunks];
      for (const c of list) {
        if (settled || socket.destroyed) return;
        const ok = socket.write(c);
        if (!ok) await new Promise((r) => { socket.once('drain', r); socket.once('close', r); });
      }
    });
  });
}

// Builds a request: the request line, headers (an object or [name, value] pairs) and body.
export function buildRequest(method, target, headers = {}, body = undefined) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const lines = [`${method} ${target} HTTP/1.1`, ...pairs.map(([k, v]) => `${k}: ${v}`)];
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (body === undefined) return head;
  return Buffer.concat([head, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
}
