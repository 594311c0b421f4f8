#!/usr/bin/env node
// A local Amazon Bedrock for tests. It speaks InvokeModel (POST /model/{modelId}/invoke) and
// ListFoundationModels (GET /foundation-models, with each model's modelLifecycle: status and,
// for Legacy models, endOfLifeTime as an ISO 8601 date-time) as AWS documents them:
//   - every request's SigV4 signature (service "bedrock") is recomputed with the AWS SDK for
//     JavaScript's signer (../sigv4/verify.mjs); a bad one answers 403 as Bedrock does;
//   - each model's body is checked against its documented schema (models.mjs); a violation answers
//     400 ValidationException, as Bedrock does, and costs nothing;
//   - answers are the documented shapes: {"images", "error"} for Titan and Nova Canvas,
//     {"seeds", "finish_reasons", "images"} for Stability AI; errors are rest-json
//     (X-Amzn-ErrorType header, {"message"} body).
// Prompts that mention "forbidden" are refused by the content filters (Nova and Titan: 400
// ValidationException; Stability: 200 with "Filter reason: prompt"); prompts that mention
// "unlucky" make an image the output filter blocks (Titan and Nova: 200 with "error";
// Stability: "Filter reason: output image").
//
//   node tests/support/bedrock/server.mjs [--region R] [--access-key-id ID]
//                                         [--secret-access-key SECRET] [--session-token TOKEN]
//
// The default credentials are the S3 test server's, so that one AWS credential chain serves both.
// Listens on 127.0.0.1 (a free port), then prints one JSON line: {"endpoint", "region",
// "access_key_id", "secret_access_key", "session_token"}. Stops on SIGTERM, SIGINT or when stdin
// closes. Commands, one JSON object per stdin line, each answered by one JSON line
// ({"ok": true, ...}):
//   {"script": [{"status": 429, "type": "ThrottlingException", "message": "..."}, ...]}
//        the next invocations answer these errors, in order, before the models answer again
//   {"delay_ms": M, "count": N}   the next N invocations answer after M ms
//   {"access": {"<model id>": "enabled" | "not_enabled" | "denied"}}   model access of the account
//   {"lifecycle": {"<model id>": {"status": "ACTIVE" | "LEGACY", "endOfLifeTime": "..."} | null}}
//        the model's modelLifecycle in ListFoundationModels, or (null) not listed in this region
//   {"failed_listings": N}   the next N ListFoundationModels answer 500 InternalServerException
//   {"take": true}   answers {"invocations": [...]} (model, body with each base64 image replaced by
//        {"png": {width, height, channels}}, and for masks "binary": true when the mask is pure
//        black and white) and forgets them
//   every answer also carries {"requests", "denied", "listings"}: the requests received and
//        refused so far, and the ListFoundationModels calls

import http from 'node:http';
import { parseArgs } from 'node:util';

import { reply, serveCommands } from '../control.mjs';
import { Denied, parseQuery, sigv4Verifier } from '../sigv4/verify.mjs';
import { MODELS, answerFor, describeBody, validateBody } from './models.mjs';

const { values: args } = parseArgs({
  options: {
    region: { type: 'string', default: 'us-east-1' },
    'access-key-id': { type: 'string', default: 'AKIDRENDERMARTTEST' },
    'secret-access-key': { type: 'string', default: 'rendermart/test+secret/key0123456789abcdef' },
    'session-token': { type: 'string', default: '' },
  },
});

const HOST = '127.0.0.1';
// InvokeModel's body limit (the Body shape of the bedrock-runtime model).
const MAX_BODY_BYTES = 25_000_000;
const ACCOUNT = '123456789012';

const verify = sigv4Verifier({
  service: 'bedrock',
  region: args.region,
  accessKeyId: args['access-key-id'],
  secretAccessKey: args['secret-access-key'],
  sessionToken: args['session-token'],
});

const state = {
  requests: 0,
  denied: 0,
  script: [],
  delays: [],
  access: Object.fromEntries(Object.keys(MODELS).map((id) => [id, 'enabled'])),
  lifecycle: Object.fromEntries(Object.entries(MODELS).map(([id, model]) => [id, model.lifecycle])),
  listings: 0,
  failedListings: 0,
  invocations: [],
};
let requestSeq = 0;

function sendJson(res, status, object, headers = {}) {
  const body = JSON.stringify(object);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': `rendermart-test-${++requestSeq}`,
    ...headers,
  });
  res.end(body);
}

// A rest-json error, as Bedrock sends them.
function sendError(res, status, type, message) {
  sendJson(res, status, { message },
    { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
}

function accessError(modelId) {
  const access = state.access[modelId];
  if (access === 'not_enabled') {
    return new Denied(403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.");
  }
  if (access === 'denied') {
    return new Denied(403, 'AccessDeniedException',
      `User: arn:aws:iam::${ACCOUNT}:user/rendermart is not authorized to perform: bedrock:InvokeModel on resource: ` +
      `arn:aws:bedrock:${args.region}::foundation-model/${modelId} because no identity-based policy allows the bedrock:InvokeModel action`);
  }
  return null;
}

async function invoke(req, res, modelId, body) {
  if (!MODELS[modelId]) {
    throw new Denied(404, 'ResourceNotFoundException', 'The provided model identifier is invalid.');
  }
  const denied = accessError(modelId);
  if (denied) throw denied;
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    throw new Denied(400, 'ValidationException', 'You must specify application/json as the content type.');
  }
  let json;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Denied(400, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
  }
  const problem = validateBody(modelId, json);
  if (problem) throw new Denied(400, 'ValidationException', `Malformed input request: ${problem}, please reformat your input and try again.`);
  state.invocations.push({ model: modelId, body: describeBody(json) });

  const delay = state.delays.shift();
  if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
  const scripted = state.script.shift();
  if (scripted) throw new Denied(scripted.status, scripted.type, scripted.message ?? scripted.type);

  const answer = answerFor(modelId, json);
  if (answer.error) throw new Denied(answer.error.status, answer.error.type, answer.error.message);
  sendJson(res, 200, answer.body);
}

function listFoundationModels(res, pairs) {
  state.listings += 1;
  if (state.failedListings > 0) {
    state.failedListings -= 1;
    throw new Denied(500, 'InternalServerException', 'An internal server error occurred. Retry your request.');
  }
  const modality = pairs.find(([name]) => name === 'byOutputModality')?.[1];
  const summaries = Object.entries(MODELS)
    .filter(([id]) => state.lifecycle[id])
    .filter(([, model]) => !modality || modality === 'IMAGE')
    .map(([id, model]) => ({
      modelArn: `arn:aws:bedrock:${args.region}::foundation-model/${id}`,
      modelId: id,
      modelName: model.name,
      providerName: model.provider,
      inputModalities: ['TEXT', 'IMAGE'],
      outputModalities: ['IMAGE'],
      responseStreamingSupported: false,
      customizationsSupported: [],
      inferenceTypesSupported: ['ON_DEMAND'],
      modelLifecycle: state.lifecycle[id],
    }));
  sendJson(res, 200, { modelSummaries: summaries });
}

const sockets = new Set();
const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', async () => {
    state.requests += 1;
    const body = Buffer.concat(chunks);
    const question = req.url.indexOf('?');
    const rawPath = question < 0 ? req.url : req.url.slice(0, question);
    const pairs = parseQuery(question < 0 ? '' : req.url.slice(question + 1));
    try {
      if (size > MAX_BODY_BYTES) throw new Denied(413, 'ValidationException', 'Input is too long for requested model.');
      await verify(req, rawPath, pairs, body);
      const invokePath = /^\/model\/([^/]+)\/invoke$/.exec(rawPath);
      if (req.method === 'POST' && invokePath) {
        await invoke(req, res, decodeURIComponent(invokePath[1]), body);
      } else if (req.method === 'GET' && rawPath === '/foundation-models') {
        listFoundationModels(res, pairs);
      } else {
        throw new Denied(404, 'UnknownOperationException', `no operation at ${req.method} ${rawPath}`);
      }
    } catch (error) {
      if (!(error instanceof Denied)) {
        sendError(res, 500, 'InternalServerException', String(error?.stack ?? error));
        return;
      }
      if (error.status === 403) state.denied += 1;
      sendError(res, error.status, error.code, error.message);
    }
  });
});
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

const port = await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, HOST, () => resolve(server.address().port));
});

function stop() {
  for (const socket of sockets) socket.destroy();
  server.close();
  process.exit(0);
}

serveCommands((command) => {
  const extra = {};
  if (Array.isArray(command.script)) state.script.push(...command.script);
  if (Number.isInteger(command.delay_ms)) {
    for (let i = 0; i < (command.count ?? 1); i++) state.delays.push(command.delay_ms);
  }
  if (command.access) Object.assign(state.access, command.access);
  if (command.lifecycle) Object.assign(state.lifecycle, command.lifecycle);
  if (Number.isInteger(command.failed_listings)) state.failedListings = command.failed_listings;
  if (command.take) {
    extra.invocations = state.invocations;
    state.invocations = [];
  }
  return { requests: state.requests, denied: state.denied, listings: state.listings, ...extra };
}, stop);

reply({
  endpoint: `http://${HOST}:${port}`,
  region: args.region,
  access_key_id: args['access-key-id'],
  secret_access_key: args['secret-access-key'],
  session_token: args['session-token'],
});
