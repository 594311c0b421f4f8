// One way to follow the API's server-sent event streams (a generation's, a model pull's): named
// events whose data is JSON, ending with `done`.

export type EventHandlers = Record<string, (data: unknown) => void>;

/**
 * Opens `url` and hands each named event's parsed data to its handler; `done` also closes the
 * stream. EventSource reconnects by itself when the stream drops; `onDrop` runs each time (to ask
 * once whether the work already ended) and may call `stop`. `givenUp` is true when the browser
 * will not reconnect (the server answered with an error instead of a stream). Returns `stop`.
 */
export function followEventStream(url: string, handlers: EventHandlers, onDrop: (stop: () => void, givenUp: boolean) => void): () => void {
  const es = new EventSource(url, { withCredentials: true });
  let stopped = false;
  const stop = () => { stopped = true; es.close(); };
  for (const [name, handle] of Object.entries(handlers)) {
    es.addEventListener(name, (m) => {
      if (name === 'done') stop();
      let data: unknown;
      try { data = JSON.parse((m as MessageEvent).data as string); } catch { return; }
      handle(data);
    });
  }
  es.onerror = () => { if (!stopped) onDrop(stop, es.readyState === EventSource.CLOSED); };
  return stop;
}
