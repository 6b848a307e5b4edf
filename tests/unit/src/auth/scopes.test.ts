import { parseGrants, parseScope, scopeName } from '../../../../src/auth/scopes';

describe('parseScope', () => {
  it.each([
    ['counters:read', { level: 'read' }],
    ['counters:write', { level: 'write' }],
    ['counters:admin', { level: 'admin' }],
    ['counters:read:views', { level: 'read', namespace: 'views' }],
    ['counters:write:a-b_c.d/e', { level: 'write', namespace: 'a-b_c.d/e' }],
    // Namespace names may contain ':' themselves.
    ['counters:admin:team:views', { level: 'admin', namespace: 'team:views' }],
  ])('%j is %j', (scope, grant) => {
    expect(parseScope(scope)).toEqual(grant);
  });

  it.each([
    '',
    'counters',
    'counters:',
    'counters:READ',
    'Counters:read',
    'counters:delete',
    'counters:reader',
    'counters:read:',
    'counters:read:bad name',
    'counters:read:caf\u00e9',
    `counters:read:${'x'.repeat(256)}`,
    'counters:read\u0000',
    'openid',
    'other:counters:read',
  ])('%j is ignored', (scope) => {
    expect(parseScope(scope)).toBeUndefined();
  });
});

describe('parseGrants', () => {
  it('reads a space-separated scope string, keeping the highest level per namespace and globally', () => {
    const g = parseGrants({ scope: 'openid counters:read counters:write:views counters:read:views counters:admin:ops  profile' });
    expect(g.global).toBe('read');
    expect([...g.namespaces]).toEqual([
      ['views', 'write'],
      ['ops', 'admin'],
    ]);
  });

  it('reads scp as an array (and as a string), and joins it with scope', () => {
    expect(parseGrants({ scp: ['counters:write', 'counters:read:a'] })).toEqual({ global: 'write', namespaces: new Map([['a', 'read']]) });
    expect(parseGrants({ scp: 'counters:admin' }).global).toBe('admin');
    const g = parseGrants({ scope: 'counters:read', scp: ['counters:admin:x'] });
    expect(g.global).toBe('read');
    expect(g.namespaces.get('x')).toBe('admin');
  });

  it('keeps a higher global level when a lower one comes later', () => {
    expect(parseGrants({ scope: 'counters:admin counters:read' }).global).toBe('admin');
  });

  it.each([undefined, null, 42, true, {}, [1, null, {}], 'not-a-scope'])('ignores a scope claim of %j (no grants, no error)', (claim) => {
    expect(parseGrants({ scope: claim, scp: claim })).toEqual({ global: undefined, namespaces: new Map() });
  });

  it('ignores the malformed strings of an array and keeps the rest', () => {
    expect(parseGrants({ scp: [7, 'counters:nope', 'counters:write:ok', 'counters:read:not ok'] })).toEqual({
      global: undefined,
      namespaces: new Map([['ok', 'write']]),
    });
  });
});

describe('scopeName', () => {
  it('names a global and a narrowed scope', () => {
    expect(scopeName('read')).toBe('counters:read');
    expect(scopeName('admin', 'views')).toBe('counters:admin:views');
  });
});
