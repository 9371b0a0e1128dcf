import { describe, expect, it } from 'vitest';
import { decideAccess } from './access-policy.js';

describe('decideAccess', () => {
  const rules = [
    { identities: ['alice'], databases: ['app'], upstream: 'app_rw' },
    { identities: ['*'], databases: ['app', 'reports'], upstream: 'readonly' },
    { identities: ['root'], databases: ['*'], upstream: 'admin' },
  ];
  it('takes the first rule that matches both identity and database', () => {
    expect(decideAccess(rules, 'alice', 'app')).toBe('app_rw');
    expect(decideAccess(rules, 'bob', 'app')).toBe('readonly');
    expect(decideAccess(rules, 'root', 'postgres')).toBe('admin');
  });
  it('denies what no rule names', () => {
    expect(decideAccess(rules, 'bob', 'postgres')).toBeNull();
    expect(decideAccess([], 'alice', 'app')).toBeNull();
  });
});
