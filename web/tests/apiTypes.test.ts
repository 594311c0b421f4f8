// The API client is typed by openapi/openapi.yaml (through schema.d.ts): `npm run typecheck` fails
// when a line marked @ts-expect-error below stops being an error, so these are checks of the types.
import { describe, expectTypeOf, it } from 'vitest';
import { api } from '@/shared/api/client';
import type { Image, Model } from '@/shared/api/types';

// Never called: only their types matter.
function calls() {
  // @ts-expect-error a path the description does not have
  api.get('/no-such-path');
  // @ts-expect-error a method the path does not answer
  api.put('/images/{id}', { path: { id: 'x' }, body: {} });
  // @ts-expect-error the path parameter is missing
  api.get('/images/{id}');
  // @ts-expect-error the body is required
  api.post('/keys');
  // @ts-expect-error a body field the schema does not have
  api.post('/keys', { body: { title: 'x' } });
  // @ts-expect-error a query parameter the operation does not take
  api.get('/images', { query: { favourite: true } });
  return {
    image: api.get('/images/{id}', { path: { id: 'x' } }),
    deleted: api.delete('/images/{id}', { path: { id: 'x' } }),
    models: api.get('/models'),
  };
}

describe('typed API calls', () => {
  it('answer the schema types of their success responses', () => {
    expectTypeOf(calls).returns.toEqualTypeOf<{ image: Promise<Image>; deleted: Promise<void>; models: Promise<{ items: Model[] }> }>();
  });
});
