import fc from 'fast-check';
import { APPLICATION_JSON, essence, GRAPHQL_RESPONSE_JSON, JSON_GRAPHQL_CALLBACK, responseType } from '../../../../src/http/mediaTypes';

/**
 * The response type chosen from an Accept header must be Apollo's choice, which it makes with
 * `negotiator` (its dependency): that library is the oracle here, on fixed headers of real
 * clients and on generated ones.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Negotiator = require('negotiator') as new (req: { headers: { accept?: string } }) => { mediaType(available: string[]): string | undefined };
const apollos = (accept: string | undefined): string | undefined =>
  accept ? new Negotiator({ headers: { accept } }).mediaType([APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, JSON_GRAPHQL_CALLBACK]) : APPLICATION_JSON;

describe('responseType', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, APPLICATION_JSON],
    ['', APPLICATION_JSON],
    ['*/*', APPLICATION_JSON],
    ['application/json', APPLICATION_JSON],
    ['application/graphql-response+json', GRAPHQL_RESPONSE_JSON],
    // Apollo Client 4's and urql 6's defaults.
    ['application/graphql-response+json,application/json;q=0.9', GRAPHQL_RESPONSE_JSON],
    ['application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed', GRAPHQL_RESPONSE_JSON],
    ['application/json, application/graphql-response+json', APPLICATION_JSON],
    ['application/graphql-response+json;q=0.5, application/json', APPLICATION_JSON],
    ['application/json; charset=utf-8', APPLICATION_JSON],
    ['APPLICATION/JSON; Charset="UTF-8"', APPLICATION_JSON],
    ['application/json; charset=latin1', undefined],
    ['application/json;callbackSpec=1.0', JSON_GRAPHQL_CALLBACK],
    ['application/*', APPLICATION_JSON],
    ['application/*;q=0.1, application/graphql-response+json', GRAPHQL_RESPONSE_JSON],
    ['text/html', undefined],
    ['application/json;q=0', undefined],
    ['application/json;q=abc', undefined],
    ['garbage', undefined],
  ])('%j → %s, as Apollo chooses', (accept, expected) => {
    expect(responseType(accept)).toBe(expected);
    expect(responseType(accept)).toBe(apollos(accept));
  });

  it('agrees with negotiator on generated headers', () => {
    const range = fc.tuple(
      fc.constantFrom('application/json', 'application/graphql-response+json', 'application/*', '*/*', 'text/html', 'multipart/mixed', 'Application/JSON'),
      fc.option(fc.constantFrom('0', '0.1', '0.5', '0.9', '1', '1.0', 'x'), { nil: undefined }),
      fc.option(fc.constantFrom('charset=utf-8', 'charset=latin1', 'callbackSpec=1.0', 'charset="utf-8"'), { nil: undefined }),
    ).map(([t, q, p]) => [t, p, q !== undefined ? `q=${q}` : undefined].filter(Boolean).join('; '));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 5 }), fc.constantFrom(',', ', '), (ranges, sep) => {
        const accept = ranges.join(sep);
        expect(responseType(accept)).toBe(apollos(accept));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('essence', () => {
  it.each([
    ['application/json', 'application/json'],
    ['Application/JSON; charset=utf-8', 'application/json'],
    ['text/plain; charset=application/json', 'text/plain'],
    [' application/json ;x', 'application/json'],
    [undefined, ''],
  ])('%j → %j', (type, expected) => expect(essence(type)).toBe(expected));
});
