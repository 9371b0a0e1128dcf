/**
 * Which identities may use which databases, and as which upstream credential. Rules are tried in
 * order; the first whose identities and databases both match decides. No match is a denial: a
 * proxy-managed identity reaches nothing that a rule does not name.
 */
import type { AccessRule } from '../../config/config.js';

/** Matches every identity or every database in a rule. */
export const ANY = '*';

/** The name of the upstream credential to use, or null when the policy denies access. */
export function decideAccess(rules: readonly AccessRule[], identity: string, database: string): string | null {
  for (const rule of rules) {
    const identityMatches = rule.identities.includes(ANY) || rule.identities.includes(identity);
    const databaseMatches = rule.databases.includes(ANY) || rule.databases.includes(database);
    if (identityMatches && databaseMatches) return rule.upstream;
  }
  return null;
}
