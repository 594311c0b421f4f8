// Loads openapi/openapi.yaml and checks responses against it with ajv.

import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { REPO_ROOT } from './server.mjs';

export const SPEC_PATH = path.join(REPO_ROOT, 'openapi', 'openapi.yaml');
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const SPEC_ID = 'https://rendermart.invalid/openapi.json';

export function loadSpec() {
  return YAML.parse(fs.readFileSync(SPEC_PATH, 'utf8'), { strict: true, uniqueKeys: true });
}

// Resolves a local $ref ('#/components/...') in the spec.
export function deref(spec, node) {
  let cur = node;
  const seen = new Set();
  while (cur && typeof cur === 'object' && typeof cur.$ref === 'string') {
    if (seen.has(cur.$ref)) throw new Error(`$ref cycle at ${cur.$ref}`);
    seen.add(cur.$ref);
    cur = cur.$ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => o?.[k], spec);
    if (cur === undefined) throw new Error(`unresolved $ref ${[...seen].pop()}`);
  }
  return cur;
}

// Every operation: { method (upper case), path (template), regex, op }.
export function operations(spec) {
  const out = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    const regex = new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const m of HTTP_METHODS) {
      if (item[m]) out.push({ method: m.toUpperCase(), path: p, regex, op: item[m], item });
    }
  }
  return out;
}

// The spec path template that matches a concrete path (query string ignored), or null.
export function matchPath(spec, urlPath) {
  return matchingPaths(spec, urlPath)[0] ?? null;
}

// Every template that matches, the most concrete first (as OpenAPI matches: a literal segment
// beats a parameter, so /models/pulls is not /models/{name}).
export function matchingPaths(spec, urlPath) {
  const pathname = urlPath.split('?')[0];
  const literal = (template) => template.split('/').map((segment) => !segment.startsWith('{'));
  const moreConcrete = (a, b) => {
    const [la, lb] = [literal(a), literal(b)];
    for (let i = 0; i < la.length; i++) if (la[i] !== lb[i]) return la[i] ? -1 : 1;
    return 0;
  };
  return Object.keys(spec.paths)
    .filter((p) => new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname))
    .sort(moreConcrete);
}

// Rewrites local refs so that schemas compiled on their own resolve into the registered spec.
function rebase(node) {
  if (Array.isArray(node)) return node.map(rebase);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${SPEC_ID}${v}` : rebase(v);
    }
    return out;
  }
  return node;
}

// ajv errors as one line, with the offending property or value named.
export function formatErrors(errors) {
  return (errors ?? []).slice(0, 10).map((e) => {
    const where = e.instancePath || '(root)';
    const detail = e.params?.additionalProperty ?? e.params?.missingProperty ?? e.params?.allowedValues ?? e.params?.format ?? e.params?.type;
    return `${where} ${e.message}${detail !== undefined ? ` (${JSON.stringify(detail)})` : ''}`;
  }).join('; ');
}

export class SpecValidator {
  constructor(spec = loadSpec()) {
    this.spec = spec;
    // strict: false lets OpenAPI-only keywords (example, description in odd places) through;
    // ajv understands `nullable` natively.
    this.ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SPEC_ID, components: spec.components });
    this.cache = new Map();
  }

  schemaValidator(schema) {
    const key = JSON.stringify(schema);
    let v = this.cache.get(key);
    if (!v) {
      v = this.ajv.compile(rebase(schema));
      this.cache.set(key, v);
    }
    return v;
  }

  // Validates data against a named component schema; returns null or an error text.
  validateSchema(name, data) {
    const v = this.schemaValidator({ $ref: `#/components/schemas/${name}` });
    return v(data) ? null : formatErrors(v.errors);
  }

  // Checks one response against the operation (method + path template). Returns a list of
  // problems (empty when the response conforms).
  // res: { status, headers (Headers), json, body }.
  checkResponse(method, template, res) {
    const problems = [];
    const item = this.spec.paths[template];
    if (!item) return [`path ${template} is not in the spec`];
    const op = item[method.toLowerCase()];
    if (!op) return [`${method} ${template} is not in the spec`];
    const responses = op.responses ?? {};
    const declared = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`] ?? responses.default;
    if (!declared) {
      return [`status ${res.status} is not declared for ${method} ${template} (declared: ${Object.keys(responses).join(', ')})`];
    }
    const response = deref(this.spec, declared);
    for (const [name, h] of Object.entries(response.headers ?? {})) {
      const header = deref(this.spec, h);
      if (name.toLowerCase() === 'content-length' && method === 'HEAD') continue;
      const value = res.headers.get(name);
      if (header.required && value === null) problems.push(`required header ${name} is missing`);
      const schema = header.schema && deref(this.spec, header.schema);
      if (value !== null && schema?.enum && !schema.enum.includes(value)) {
        problems.push(`header ${name}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
      }
    }
    const content = response.content;
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!content || method === 'HEAD') {
      if (method !== 'HEAD' && res.body && res.body.length > 0) {
        problems.push(`the spec declares no body for ${res.status}, got ${res.body.length} bytes (${contentType})`);
      }
      return problems;
    }
    const media = content[contentType];
    if (!media) {
      problems.push(`content type ${JSON.stringify(contentType)} is not declared for ${res.status} (declared: ${Object.keys(content).join(', ')})`);
      return problems;
    }
    if (contentType === 'application/json') {
      if (res.json === undefined) {
        problems.push(`body is not valid JSON: ${res.body?.toString('utf8').slice(0, 200)}`);
      } else if (media.schema) {
        const v = this.schemaValidator(media.schema);
        if (!v(res.json)) problems.push(`body does not match the schema: ${formatErrors(v.errors)}`);
      }
    }
    return problems;
  }
}
