// What each call of the API accepts and answers, read from the generated schema.d.ts, so that a path
// the OpenAPI description does not have, a missing path parameter or a wrong body is a type error.
import type { paths } from './schema';

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

/** The description's paths under /api/v1, named as the app calls them (without the prefix). */
type ApiPaths = { [P in keyof paths as P extends `/api/v1${infer Rest}` ? Rest : never]: paths[P] };

/** The paths that answer `method` (an absent method is typed `undefined` by openapi-typescript). */
export type PathsWith<M extends Method> = {
  [P in keyof ApiPaths]: ApiPaths[P][M] extends { responses: unknown } ? P : never;
}[keyof ApiPaths];

type Operation<M extends Method, P extends PathsWith<M>> = NonNullable<ApiPaths[P][M]>;

type Parameters<O> = O extends { parameters: infer X } ? X : never;
type PathParameters<O> = Parameters<O> extends { path: infer X } ? X : never;
type QueryParameters<O> = Parameters<O> extends { query?: infer X } ? X : never;
type JsonBody<O> = O extends { requestBody: { content: { 'application/json': infer X } } } ? X : never;

type Option<Key extends string, X> = [X] extends [never] ? { [K in Key]?: never } : { [K in Key]: X };

/**
 * The second argument of a call: `path` when the path has parameters, `body` when the operation
 * takes one (both required then), `query` when it has query parameters, and `quiet401` for the
 * calls whose 401 is an answer rather than a lost session (signing in, asking who is signed in).
 */
export type CallInit<M extends Method, P extends PathsWith<M>> =
  Option<'path', PathParameters<Operation<M, P>>> &
  Option<'body', JsonBody<Operation<M, P>>> &
  { query?: QueryParameters<Operation<M, P>>; quiet401?: boolean };

/** Optional when nothing in it is required, so that `api.get('/models')` needs no second argument. */
export type CallArgs<M extends Method, P extends PathsWith<M>> =
  [undefined, undefined] extends [CallInit<M, P>['path'], CallInit<M, P>['body']] ? [init?: CallInit<M, P>] : [init: CallInit<M, P>];

type Responses<O> = O extends { responses: infer R } ? R : never;
type SuccessStatus = 200 | 201 | 202 | 204;
type JsonOf<R> = R extends { content: { 'application/json': infer X } } ? X : void;

/** The JSON of the operation's success answers (void for 204 No Content). */
export type CallResult<M extends Method, P extends PathsWith<M>> =
  JsonOf<Responses<Operation<M, P>>[Extract<keyof Responses<Operation<M, P>>, SuccessStatus>]>;
