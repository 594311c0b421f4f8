// A stand-in for the server behind the app's one fetch layer and its EventSource streams, so that
// whole pages run as they do in the browser: routes answer JSON, streams emit named events.
import { createElement } from 'react';
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { App } from '@/app/App';
import { invalidateModels } from '@/shared/models/useModels';

/** An answer with a status other than 200 (or a body-less 204). */
export class Reply {
  constructor(readonly status: number, readonly body?: unknown) {}
}

export const apiError = (status: number, code: string, message: string, field?: string) =>
  new Reply(status, { error: { code, message, ...(field ? { field } : {}) } });

type Answer = unknown | Reply | ((body: unknown) => unknown | Reply);
export interface Call { method: string; path: string; body: unknown }

/**
 * Serves `routes` ("METHOD /path" under /api/v1, to a body, a Reply or a function of the request
 * body) until the test ends. Unknown routes answer 404 as the server does. The routes object may be
 * changed during a test: the next request sees the change.
 */
export function fakeApi(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://localhost');
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v1/, '');
    // A JSON body is parsed; a form (an upload) is handed to the route as it is.
    const body = init?.body instanceof FormData ? init.body : init?.body ? JSON.parse(String(init.body)) as unknown : undefined;
    calls.push({ method, path, body });
    const route = routes[`${method} ${path}`];
    const answer = typeof route === 'function' ? (route as (b: unknown) => unknown)(body) : route;
    const reply = route === undefined ? apiError(404, 'not_found', 'route not found') : answer instanceof Reply ? answer : new Reply(200, answer);
    return new Response(reply.status === 204 ? null : JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('EventSource', FakeEventSource);
  return { routes, calls, count: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path).length };
}

export class FakeEventSource {
  static opened: FakeEventSource[] = [];
  static readonly CLOSED = 2;
  readonly url: string;
  closed = false;
  readyState = 1;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, Array<(m: MessageEvent) => void>>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.opened.push(this);
  }

  addEventListener(name: string, fn: (m: MessageEvent) => void) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
  }

  close() { this.closed = true; }

  /** The server sends `event: name` with JSON data. */
  emit(name: string, data: unknown) {
    act(() => { for (const fn of this.listeners.get(name) ?? []) fn(new MessageEvent(name, { data: JSON.stringify(data) })); });
  }

  /** The connection drops (EventSource would now reconnect by itself, unless `givenUp`). */
  drop(givenUp = false) {
    if (givenUp) this.readyState = FakeEventSource.CLOSED;
    act(() => { this.onerror?.(); });
  }
}

/**
 * The open stream whose URL ends with `path`, once the app has opened it: components open their
 * streams in effects, which may run after what the test waited for has rendered.
 */
export function stream(path: string): Promise<FakeEventSource> {
  return waitFor(() => {
    const es = FakeEventSource.opened.find((s) => !s.closed && s.url.endsWith(path));
    if (!es) throw new Error(`no open event stream for ${path}; opened: ${FakeEventSource.opened.map((s) => s.url).join(', ')}`);
    return es;
  });
}

/** The whole app, opened at `path` as a browser would. */
export function openApp(path: string) {
  window.history.pushState({}, '', path);
  return render(createElement(App));
}

afterEach(() => {
  // Unmounted first: a page still mounted could open the job stream after EventSource is gone.
  cleanup();
  vi.unstubAllGlobals();
  FakeEventSource.opened = [];
  invalidateModels(); // the model list is cached per page load; each test is a new page
});
