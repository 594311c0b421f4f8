#!/usr/bin/env node
// A local OpenAI-compatible image API for tests, behaving as OpenAI's API reference documents
// POST /v1/images/generations and GET /v1/models
// (https://platform.openai.com/docs/api-reference/images/create,
// https://developers.openai.com/api/reference/resources/models/methods/list):
//   - "Authorization: Bearer <key>" must carry the key given with --api-key (401 otherwise);
//   - GET /v1/models lists {"object": "list", "data": [{"id", "object": "model", "created",
//     "owned_by", "shutdown_date"}]}, shutdown_date a YYYY-MM-DD date or null (not announced);
//   - the body is checked per model: prompt, n, size (the model's fixed sizes, or for the
//     gpt-image-2 family `auto` or WIDTHxHEIGHT with both sides multiples of 16, the longer at most
//     3840 and three times the shorter, 655,360 to 8,294,400 pixels), quality, style,
//     response_format (gpt-image models refuse it), and for the gpt-image models background
//     (auto | opaque; gpt-image-2 refuses transparent), moderation (auto | low), output_format
//     (png | jpeg | webp), output_compression (0-100), stream and partial_images (0-3); 400
//     otherwise;
//   - POST /v1/images/edits takes multipart/form-data: image (a PNG), mask (a PNG with an alpha
//     channel, the image's size: its fully transparent pixels mark the area to edit), prompt and
//     the fields above; the images answered are the image's size;
//   - with "stream": true the answer is server-sent events (Content-Type text/event-stream): for
//     each image, partial_images events "image_generation.partial_image" ("image_edit.*" for
//     edits) {type, b64_json, created_at, size, quality, background, output_format,
//     partial_image_index}, then "image_generation.completed" {type, b64_json, created_at, size,
//     quality, background, output_format, usage};
//   - a model past its shutdown date answers 404 model_not_found ("has been deprecated");
//   - answers {"created", "data": [{"b64_json"} | {"url"}]}; URLs are served by this server;
//   - errors have OpenAI's shape {"error": {"message", "type", "param", "code"}}; a prompt that
//     mentions "forbidden" is refused with code content_policy_violation.
//
//   node tests/support/openai/server.mjs [--api-key KEY]
//
// Prints one JSON line {"base_url", "api_key"} once listening on 127.0.0.1. Commands on stdin,
// one JSON object a line, each answered by one JSON line:
//   {"script": [{"status": 429, "message": "..."}, ...]}  the next requests answer these errors
//   {"url_answers": N}  the next N generations answer with URLs instead of b64_json
//   {"stream_delay_ms": M}  streamed answers wait M ms before each event
//   {"listed": {"<model>": {"shutdown_date": "YYYY-MM-DD" | null} | null}}  lists a model (with
//        its shutdown date), or stops listing it (null); models not listed answer 404
//   {"failed_listings": N}  the next N GET /v1/models answer 500
//   {"take": true}  answers {"requests": [bodies received]} and forgets them (an edit's body is
//        its text fields plus "endpoint": "edits", "image": {width, height} and "mask": {width,
//        height, transparent: the number of fully transparent pixels}); every answer also
//        carries {"listings": the number of GET /v1/models so far}

import { createHash } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import { decodePng, encodePng } from '../../integration/lib/media.mjs';
import { reply, serveCommands } from '../control.mjs';

const { values: args } = parseArgs({ options: { 'api-key': { type: 'string', default: 'sk-rendermart-test' } } });
const HOST = '127.0.0.1';

// The gpt-image-2 family's size rule: `auto`, or WIDTHxHEIGHT within its limits.
function gptImageSizeProblem(size) {
  if (size === 'auto') return null;
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) return `Invalid size '${size}'. Use 'auto' or WIDTHxHEIGHT.`;
  const [w, h] = [Number(match[1]), Number(match[2])];
  if (w % 16 || h % 16) return `Invalid size '${size}': both sides must be multiples of 16.`;
  if (Math.max(w, h) > 3840) return `Invalid size '${size}': the longer side must be at most 3840.`;
  if (Math.max(w, h) > 3 * Math.min(w, h)) return `Invalid size '${size}': the aspect ratio must be at most 3:1.`;
  if (w * h < 655360 || w * h > 8294400) return `Invalid size '${size}': between 655,360 and 8,294,400 pixels.`;
  return null;
}

const fixedSizes = (sizes) => (size) => (sizes.includes(size) ? null : `Invalid size '${size}'. Supported sizes are ${sizes.join(', ')}.`);
const gptImage = (qualities, shutdownDate = null) => ({
  sizeProblem: gptImageSizeProblem, defaultSize: 'auto', maxN: 10, qualities, styles: [], responseFormat: false, shutdownDate,
  gpt: true, backgrounds: ['auto', 'opaque'],
});
const QUALITIES_2 = ['auto', 'low', 'medium', 'high'];
const QUALITIES_25 = [...QUALITIES_2, 'xhigh', 'max'];

const MODELS = {
  'gpt-image-2': gptImage(QUALITIES_2),
  'gpt-image-2.5-flare': gptImage(QUALITIES_25),
  'gpt-image-2.6-flare': gptImage(QUALITIES_25),
  'gpt-image-2.6-sunburst': gptImage(QUALITIES_25),
  // Shut down on 2026-12-01 (OpenAI's deprecations page), still in this listing with its date.
  'gpt-image-1.5': { ...gptImage(QUALITIES_2, '2026-12-01'), sizeProblem: fixedSizes(['1024x1024', '1536x1024', '1024x1536', 'auto']) },
  // A text model: listed, never an image model.
  'gpt-5': { text: true, shutdownDate: '2026-12-11' },
  // Self-hosted models, as an SD server would offer them.
  'local-sdxl': { sizeProblem: fixedSizes(['512x512', '768x512']), defaultSize: '512x512', maxN: 4, qualities: [], styles: [], responseFormat: true, shutdownDate: null },
  'local-styled': { sizeProblem: fixedSizes(['1024x1024', '1792x1024']), defaultSize: '1024x1024', maxN: 1, qualities: ['standard', 'hd'], styles: ['vivid', 'natural'], responseFormat: true, shutdownDate: null },
};

const state = {
  script: [], urlAnswers: 0, streamDelayMs: 0, requests: [], listings: 0, failedListings: 0,
  listed: Object.fromEntries(Object.entries(MODELS).map(([id, model]) => [id, model.shutdownDate])),
};
const today = () => new Date().toISOString().slice(0, 10);
const files = new Map();
let fileSeq = 0;
let port = 0;

class ApiError extends Error {
  constructor(status, message, { type = 'invalid_request_error', param = null, code = null } = {}) {
    super(message);
    Object.assign(this, { status, type, param, code });
  }
}

function send(res, status, object) {
  const body = JSON.stringify(object);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function imageFor(width, height, seedText) {
  const digest = createHash('sha256').update(seedText).digest();
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([digest[0], digest[1], (i * 7) & 0xff], i * 3);
  return encodePng(width, height, 3, data);
}

// The fields only the gpt-image models take, checked as the reference documents them.
function checkNewerFields(body, model) {
  const newer = ['background', 'moderation', 'output_format', 'output_compression', 'stream', 'partial_images'];
  for (const key of newer) {
    if (body[key] !== undefined && !model.gpt) throw new ApiError(400, `Unknown parameter: '${key}'.`, { param: key, code: 'unknown_parameter' });
  }
  const oneOf = (key, values) => {
    if (body[key] !== undefined && !values.includes(body[key])) throw new ApiError(400, `Invalid '${key}': must be one of ${values.join(', ')}.`, { param: key, code: 'invalid_value' });
  };
  oneOf('background', model.backgrounds ?? []);
  oneOf('moderation', ['auto', 'low']);
  oneOf('output_format', ['png', 'jpeg', 'webp']);
  oneOf('stream', [true, false]);
  if (body.output_compression !== undefined && !(Number.isInteger(body.output_compression) && body.output_compression >= 0 && body.output_compression <= 100)) {
    throw new ApiError(400, "Invalid 'output_compression': an integer from 0 to 100.", { param: 'output_compression', code: 'invalid_value' });
  }
  if (body.partial_images !== undefined) {
    if (!(Number.isInteger(body.partial_images) && body.partial_images >= 0 && body.partial_images <= 3)) {
      throw new ApiError(400, "Invalid 'partial_images': an integer from 0 to 3.", { param: 'partial_images', code: 'invalid_value' });
    }
    if (body.stream !== true) throw new ApiError(400, "'partial_images' needs 'stream': true.", { param: 'partial_images', code: 'invalid_value' });
  }
}

function generate(body, edit = null) {
  const allowed = ['model', 'prompt', 'n', 'size', 'quality', 'style', 'response_format', 'user', 'background', 'moderation', 'output_format', 'output_compression', 'stream', 'partial_images'];
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ApiError(400, `Unknown parameter: '${key}'.`, { param: key, code: 'unknown_parameter' });
  }
  const name = body.model;
  const model = MODELS[name];
  if (typeof name !== 'string' || !model || model.text || !(name in state.listed)) {
    throw new ApiError(404, `The model \`${name}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
  }
  const shutdown = state.listed[name];
  if (shutdown && shutdown <= today()) {
    throw new ApiError(404, `The model \`${name}\` has been deprecated. Learn more: https://platform.openai.com/docs/deprecations`, { code: 'model_not_found' });
  }
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) throw new ApiError(400, "Missing required parameter: 'prompt'.", { param: 'prompt', code: 'missing_required_parameter' });
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > model.maxN) throw new ApiError(400, `Invalid 'n': must be between 1 and ${model.maxN} for ${name}.`, { param: 'n', code: 'invalid_value' });
  const size = body.size ?? model.defaultSize;
  const sizeProblem = model.sizeProblem(size);
  if (sizeProblem) throw new ApiError(400, sizeProblem, { param: 'size', code: 'invalid_value' });
  if (body.quality !== undefined && !model.qualities.includes(body.quality)) throw new ApiError(400, `Invalid quality '${body.quality}'.`, { param: 'quality', code: 'invalid_value' });
  if (body.style !== undefined && !model.styles.includes(body.style)) throw new ApiError(400, `Invalid style '${body.style}'.`, { param: 'style', code: 'invalid_value' });
  if (body.response_format !== undefined) {
    if (!model.responseFormat) throw new ApiError(400, "Unknown parameter: 'response_format'.", { param: 'response_format', code: 'unknown_parameter' });
    if (!['url', 'b64_json'].includes(body.response_format)) throw new ApiError(400, `Invalid response_format '${body.response_format}'.`, { param: 'response_format', code: 'invalid_value' });
  }
  checkNewerFields(body, model);
  if (/forbidden/i.test(body.prompt)) {
    throw new ApiError(400, 'Your request was rejected as a result of our safety system.', { code: 'content_policy_violation' });
  }
  const [width, height] = edit ? [edit.width, edit.height] : (size === 'auto' ? '1024x1024' : size).split('x').map(Number);
  if (body.stream === true) return { stream: streamEvents(body, width, height, n, edit ? 'image_edit' : 'image_generation') };
  const asUrl = state.urlAnswers > 0 ? (state.urlAnswers -= 1, true) : body.response_format === 'url';
  const data = [];
  for (let i = 0; i < n; i++) {
    const png = imageFor(width, height, `${body.prompt}:${i}`);
    if (asUrl) {
      const id = `${++fileSeq}.png`;
      files.set(id, png);
      data.push({ url: `http://${HOST}:${port}/files/${id}` });
    } else {
      data.push({ b64_json: png.toString('base64') });
    }
  }
  return { created: Math.floor(Date.now() / 1000), data };
}

// The events of a streamed answer, in order.
function streamEvents(body, width, height, n, prefix) {
  const created = Math.floor(Date.now() / 1000);
  const settings = { created_at: created, size: `${width}x${height}`, quality: body.quality ?? 'auto', background: body.background ?? 'auto', output_format: body.output_format ?? 'png' };
  const events = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < (body.partial_images ?? 0); k++) {
      const png = imageFor(width, height, `${body.prompt}:${i}:partial${k}`);
      events.push({ type: `${prefix}.partial_image`, b64_json: png.toString('base64'), ...settings, partial_image_index: k });
    }
    const png = imageFor(width, height, `${body.prompt}:${i}`);
    events.push({ type: `${prefix}.completed`, b64_json: png.toString('base64'), ...settings,
      usage: { input_tokens: 50, input_tokens_details: { image_tokens: 0, text_tokens: 50 }, output_tokens: 1056, total_tokens: 1106 } });
  }
  return events;
}

// multipart/form-data as clients send it: {name: {filename?, data: Buffer}}.
function parseForm(contentType, buffer) {
  const match = /boundary="?([^";]+)"?/.exec(contentType ?? '');
  if (!match) throw new ApiError(400, 'Expected multipart/form-data with a boundary.');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts = {};
  let at = buffer.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (buffer.subarray(start, start + 2).toString() === '--') return parts;
    const next = buffer.indexOf(delimiter, start);
    if (next < 0) break;
    const part = buffer.subarray(start + 2, next - 2);
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headEnd).toString('utf8');
    const name = /name="([^"]*)"/.exec(head)?.[1];
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    parts[name] = { filename, data: part.subarray(headEnd + 4) };
    at = next;
  }
  throw new ApiError(400, 'The multipart body does not end with its closing boundary.');
}

// An edit: the picture, the mask (transparent where to edit) and the generation's fields.
function edit(contentType, buffer) {
  const parts = parseForm(contentType, buffer);
  if (!parts.image) throw new ApiError(400, "Missing required parameter: 'image'.", { param: 'image', code: 'missing_required_parameter' });
  const picture = decodePng(parts.image.data);
  const fields = {};
  for (const [name, part] of Object.entries(parts)) {
    if (name === 'image' || name === 'mask') continue;
    const text = part.data.toString('utf8');
    fields[name] = ['n', 'output_compression', 'partial_images'].includes(name) ? Number(text) : name === 'stream' ? text === 'true' : text;
  }
  const record = { endpoint: 'edits', ...fields, image: { width: picture.width, height: picture.height } };
  if (parts.mask) {
    const mask = decodePng(parts.mask.data);
    if (mask.channels !== 4) throw new ApiError(400, 'The mask must be a PNG with an alpha channel.', { param: 'mask', code: 'invalid_image' });
    if (mask.width !== picture.width || mask.height !== picture.height) throw new ApiError(400, 'The mask must be the size of the image.', { param: 'mask', code: 'invalid_image' });
    let transparent = 0;
    for (let i = 3; i < mask.data.length; i += 4) if (mask.data[i] === 0) transparent += 1;
    record.mask = { width: mask.width, height: mask.height, transparent };
  }
  return { record, fields, picture };
}

async function answer(res, result) {
  if (!result.stream) {
    send(res, 200, result);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of result.stream) {
    if (state.streamDelayMs > 0) await new Promise((resolve) => { setTimeout(resolve, state.streamDelayMs); });
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }
  res.end();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const file = /^\/files\/([0-9]+\.png)$/.exec(req.url);
      if (req.method === 'GET' && file && files.has(file[1])) {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(files.get(file[1]));
        return;
      }
      if (req.headers.authorization !== `Bearer ${args['api-key']}`) {
        throw new ApiError(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        state.listings += 1;
        if (state.failedListings > 0) {
          state.failedListings -= 1;
          throw new ApiError(500, 'The server had an error while processing your request.', { type: 'server_error' });
        }
        send(res, 200, {
          object: 'list',
          data: Object.entries(state.listed).map(([id, shutdownDate]) => ({
            id, object: 'model', created: 1698785189, owned_by: id.startsWith('local-') ? 'local' : 'system', shutdown_date: shutdownDate,
          })),
        });
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/images/edits') {
        const { record, fields, picture } = edit(req.headers['content-type'], Buffer.concat(chunks));
        state.requests.push(record);
        const scripted = state.script.shift();
        if (scripted) throw new ApiError(scripted.status, scripted.message ?? 'scripted failure', { type: scripted.status >= 500 ? 'server_error' : 'requests' });
        answer(res, generate(fields, picture));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/images/generations') throw new ApiError(404, `Invalid URL (${req.method} ${req.url})`);
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        throw new ApiError(400, 'We could not parse the JSON body of your request.');
      }
      state.requests.push(body);
      const scripted = state.script.shift();
      if (scripted) throw new ApiError(scripted.status, scripted.message ?? 'scripted failure', { type: scripted.status >= 500 ? 'server_error' : 'requests' });
      answer(res, generate(body));
    } catch (error) {
      if (!(error instanceof ApiError)) {
        send(res, 500, { error: { message: String(error?.stack ?? error), type: 'server_error', param: null, code: null } });
        return;
      }
      send(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } });
    }
  });
});

port = await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, HOST, () => resolve(server.address().port));
});

serveCommands((command) => {
  const extra = {};
  if (Array.isArray(command.script)) state.script.push(...command.script);
  if (Number.isInteger(command.url_answers)) state.urlAnswers = command.url_answers;
  if (Number.isInteger(command.stream_delay_ms)) state.streamDelayMs = command.stream_delay_ms;
  if (Number.isInteger(command.failed_listings)) state.failedListings = command.failed_listings;
  for (const [id, listing] of Object.entries(command.listed ?? {})) {
    if (listing === null) delete state.listed[id];
    else state.listed[id] = listing.shutdown_date ?? null;
  }
  if (command.take) {
    extra.requests = state.requests;
    state.requests = [];
  }
  return { listings: state.listings, ...extra };
}, () => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
});

reply({ base_url: `http://${HOST}:${port}`, api_key: args['api-key'] });
