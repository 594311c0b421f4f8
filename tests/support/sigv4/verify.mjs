// SigV4 verification for the local AWS test servers (S3, Bedrock): recomputes each request's
// signature with the AWS SDK for JavaScript's signer (@smithy/signature-v4) and throws Denied
// on any difference, as the AWS services do.

import { createHash } from 'node:crypto';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

// AWS rejects signed requests whose date is further than this from its clock.
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const PRESIGN_PARAMS = new Set([
  'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token',
]);

// An answer the service gives instead of doing the request: status, AWS error code, message.
export class Denied extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// "a=1&b=&a=2" -> [["a","1"],["b",""],["a","2"]], decoded.
export function parseQuery(raw) {
  if (!raw) return [];
  return raw.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

// The signer's query shape: repeated names become arrays.
function queryObject(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    if (!(name in out)) out[name] = value;
    else if (Array.isArray(out[name])) out[name].push(value);
    else out[name] = [out[name], value];
  }
  return out;
}

function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!m) throw new Denied(403, 'AccessDenied', `unreadable X-Amz-Date '${text}'`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function signedHeadersOf(req, names) {
  const headers = {};
  for (const name of names.split(';')) {
    if (req.headers[name] === undefined) {
      throw new Denied(403, 'SignatureDoesNotMatch', `signed header '${name}' is missing`);
    }
    headers[name] = req.headers[name];
  }
  return headers;
}

// A verifier for one service's requests.
//   service, region: the credential scope the requests must carry
//   accessKeyId, secretAccessKey, sessionToken: the only credentials accepted
//   s3: S3's rules (the path is signed as sent, x-amz-content-sha256 is required, presigned
//       URLs are accepted); otherwise the path is encoded again, as every other service does
export function sigv4Verifier({ service, region, accessKeyId, secretAccessKey, sessionToken = '', s3 = false }) {
  const signerFor = (token) => new SignatureV4({
    credentials: { accessKeyId, secretAccessKey, ...(token ? { sessionToken: token } : {}) },
    region,
    service,
    sha256: Sha256,
    uriEscapePath: !s3,
    applyChecksum: false,
  });

  function checkScope(keyId, date, scopeRegion, scopeService, signingDate) {
    if (keyId !== accessKeyId) {
      throw new Denied(403, s3 ? 'InvalidAccessKeyId' : 'UnrecognizedClientException',
        'The security token included in the request is invalid.');
    }
    if (scopeRegion !== region || scopeService !== service) {
      throw new Denied(403, s3 ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
        `credential scope ${scopeRegion}/${scopeService} is not ${region}/${service}`);
    }
    if (date !== signingDate.toISOString().slice(0, 10).replace(/-/g, '')) {
      throw new Denied(403, s3 ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
        'credential scope date differs from X-Amz-Date');
    }
  }

  function checkToken(token) {
    if ((token ?? '') !== sessionToken) {
      throw new Denied(403, s3 ? 'InvalidToken' : 'UnrecognizedClientException',
        'The security token included in the request is invalid.');
    }
  }

  const mismatch = () => new Denied(403, s3 ? 'SignatureDoesNotMatch' : 'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');

  // Throws Denied unless the request carries a valid signature (in its Authorization header, or
  // for S3 in a presigned URL). rawPath: the path as received; pairs: parseQuery of the query.
  return async function verify(req, rawPath, pairs, body) {
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/
        .exec(auth);
      if (!m) throw new Denied(403, s3 ? 'SignatureDoesNotMatch' : 'IncompleteSignatureException', `malformed Authorization header: ${auth}`);
      const [, keyId, date, scopeRegion, scopeService, signedHeaders, signature] = m;
      const signingDate = parseAmzDate(req.headers['x-amz-date']);
      checkScope(keyId, date, scopeRegion, scopeService, signingDate);
      if (Math.abs(Date.now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
        throw new Denied(403, s3 ? 'RequestTimeTooSkewed' : 'InvalidSignatureException',
          'Signature expired: the difference between the request time and the current time is too large.');
      }
      if (s3) {
        const payloadHash = req.headers['x-amz-content-sha256'];
        if (!payloadHash) throw new Denied(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
        if (payloadHash !== UNSIGNED_PAYLOAD && payloadHash !== createHash('sha256').update(body).digest('hex')) {
          throw new Denied(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
      }
      const token = req.headers['x-amz-security-token'];
      checkToken(token);
      const signed = await signerFor(token).sign(
        { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: rawPath,
          query: queryObject(pairs), headers: signedHeadersOf(req, signedHeaders),
          // S3 signs the x-amz-content-sha256 header; other services the hash of the body.
          ...(s3 ? {} : { body }) },
        { signingDate });
      const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
      if (expected !== signature) throw mismatch();
      return;
    }
    if (s3 && pairs.some(([name]) => name === 'X-Amz-Signature')) {
      const q = Object.fromEntries(pairs.filter(([name]) => PRESIGN_PARAMS.has(name)));
      if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') throw new Denied(403, 'AccessDenied', 'unsupported X-Amz-Algorithm');
      const [keyId, date, scopeRegion, scopeService] = (q['X-Amz-Credential'] ?? '').split('/');
      const signingDate = parseAmzDate(q['X-Amz-Date']);
      checkScope(keyId, date, scopeRegion, scopeService, signingDate);
      const expires = Number(q['X-Amz-Expires']);
      if (!Number.isInteger(expires) || expires < 1 || expires > 604800) {
        throw new Denied(403, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds');
      }
      if (Date.now() > signingDate.getTime() + expires * 1000) throw new Denied(403, 'AccessDenied', 'Request has expired');
      const token = q['X-Amz-Security-Token'];
      checkToken(token);
      const rest = pairs.filter(([name]) => !PRESIGN_PARAMS.has(name));
      const headers = { ...signedHeadersOf(req, q['X-Amz-SignedHeaders'] ?? 'host'), 'x-amz-content-sha256': UNSIGNED_PAYLOAD };
      const keep = new Set(['x-amz-content-sha256']);
      const presignedRequest = await signerFor(token).presign(
        { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path: rawPath, query: queryObject(rest), headers },
        { signingDate, expiresIn: expires, unsignableHeaders: keep, unhoistableHeaders: keep });
      if (presignedRequest.query['X-Amz-Signature'] !== q['X-Amz-Signature']) throw mismatch();
      return;
    }
    throw new Denied(403, s3 ? 'AccessDenied' : 'MissingAuthenticationTokenException',
      s3 ? 'Anonymous access is not allowed' : 'Missing Authentication Token');
  };
}
