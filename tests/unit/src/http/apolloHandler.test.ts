import { requestErrorStatus } from '../../../../src/http/apolloHandler';
import { APPLICATION_JSON, GRAPHQL_RESPONSE_JSON } from '../../../../src/http/mediaTypes';

const body = (errors: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ errors, ...extra });
const err = (code?: string) => ({ message: 'm', ...(code ? { extensions: { code } } : {}) });

/** The spec's statuses for a refused document: 200 in application/json, 400 in application/graphql-response+json. */
describe('requestErrorStatus (of an Apollo 400)', () => {
  it.each(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'OPERATION_RESOLUTION_FAILURE'])('%s in application/json is 200', (code) => {
    expect(requestErrorStatus(APPLICATION_JSON, body([err(code)]))).toBe(200);
    expect(requestErrorStatus(GRAPHQL_RESPONSE_JSON, body([err(code)]))).toBe(400);
  });

  it('keeps 400 for a malformed HTTP request (BAD_REQUEST), anywhere in the errors', () => {
    expect(requestErrorStatus(APPLICATION_JSON, body([err('BAD_REQUEST')]))).toBe(400);
    expect(requestErrorStatus(APPLICATION_JSON, body([err('GRAPHQL_VALIDATION_FAILED'), err('BAD_REQUEST')]))).toBe(400);
  });

  it('keeps 400 for anything that is not a GraphQL request error', () => {
    expect(requestErrorStatus(APPLICATION_JSON, body([err('BAD_USER_INPUT')], { data: null }))).toBe(400);
    expect(requestErrorStatus(APPLICATION_JSON, body([]))).toBe(400);
    expect(requestErrorStatus(APPLICATION_JSON, '{"errors":{}}')).toBe(400);
    expect(requestErrorStatus(APPLICATION_JSON, 'not json')).toBe(400);
    expect(requestErrorStatus(APPLICATION_JSON, 'null')).toBe(400);
    expect(requestErrorStatus('application/json; callbackSpec=1.0; charset=utf-8', body([err('GRAPHQL_VALIDATION_FAILED')]))).toBe(400);
    expect(requestErrorStatus(undefined, body([err('GRAPHQL_VALIDATION_FAILED')]))).toBe(400);
  });

  it('treats an error without a code as a request error', () => {
    expect(requestErrorStatus(APPLICATION_JSON, body([err(), null]))).toBe(200);
  });
});
