// The one fetch layer: same-origin /api/v1 with the session cookie; errors become ApiError. Calls
// go through `api`, typed by the OpenAPI description (operations.ts).
import type { CallArgs, CallResult, Method, PathsWith } from './operations';
import type { ApiErrorBody } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called whenever an authenticated call answers 401 (the session expired or was revoked). */
export function onUnauthenticated(fn: Listener): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function send<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  let res: Response;
  // A form goes as it is: the browser writes its multipart content type with the boundary.
  const form = body instanceof FormData;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined || form ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'unavailable', 'Cannot reach the server. Check your connection and try again.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const err = (json as ApiErrorBody | undefined)?.error;
    const e = new ApiError(res.status, err?.code ?? 'internal', err?.message ?? `Request failed (${res.status})`, err?.field);
    if (res.status === 401 && !opts.quiet401) unauthenticatedListeners.forEach((fn) => fn());
    throw e;
  }
  return json as T;
}

/** `/images/{id}` with `{ id }` becomes `/images/<id, URL-encoded>`. */
function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])));
}

function caller<M extends Method>(method: M) {
  return <P extends PathsWith<M>>(path: P, ...[init]: CallArgs<M, P>): Promise<CallResult<M, P>> => {
    const { path: params, query, body, quiet401 } = (init ?? {}) as {
      path?: Record<string, string | number>; query?: Query; body?: unknown; quiet401?: boolean;
    };
    return send(method.toUpperCase(), withQuery(fillPath(path, params), query), body, { quiet401 });
  };
}

/**
 * `api.get('/images/{id}', { path: { id } })`: the path is one of the description's (under
 * /api/v1), its parameters, query and body are checked against it, and the promise holds its
 * success answer.
 */
export const api = {
  get: caller('get'),
  put: caller('put'),
  post: caller('post'),
  patch: caller('patch'),
  delete: caller('delete'),
};

/**
 * A multipart/form-data POST (an upload), answered as `api.post` would answer the same path. The
 * description's form fields are not checked here: FormData is not typed by field.
 */
export function postForm<P extends PathsWith<'post'>>(path: P, form: FormData): Promise<CallResult<'post', P>> {
  return send('POST', path, form);
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
