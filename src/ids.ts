/**
 * Global object ids (`Counter.id`, `Namespace.id`), for normalized client caches: Apollo
 * Client's InMemoryCache and urql's Graphcache key an object by `__typename` + `id`, and update
 * it in place when a mutation or a subscription event returns the same id.
 *
 * Opaque, stable and unique across types, as Relay's global ids: the type name and the key
 * fields, JSON-encoded (so no separator inside a name can make two keys collide), in
 * base64url. Nothing in the service decodes them; clients must not either (the encoding may
 * change with a major version; equality is the contract).
 */
const globalId = (...parts: string[]): string => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

export const counterId = (namespace: string, name: string): string => globalId('Counter', namespace, name);

export const namespaceId = (name: string): string => globalId('Namespace', name);
