/**
 * How Vault's PostgreSQL plugin turns role statements into queries (plugins/database/postgresql):
 * `{{name}}`-style placeholders are replaced verbatim, and a statement is split on `;` unless it
 * holds a block ending in `END` (a `DO $$ … END $$`), which runs whole.
 */
export function statementQueries(statement: string, values: Readonly<Record<string, string>>): string[] {
  const pieces = containsBlock(statement) ? [statement] : statement.split(';');
  return pieces.map((piece) => renderTemplate(piece.trim(), values)).filter((query) => query !== '');
}

/** Replaces `{{key}}` with `values[key]`; unknown placeholders stay as they are. */
export function renderTemplate(query: string, values: Readonly<Record<string, string>>): string {
  return query.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** Whether the word END appears outside quoted text. */
function containsBlock(statement: string): boolean {
  const unquoted = statement.replace(/"[^"]*"|'[^']*'/g, '');
  return /\bEND\b/.test(unquoted);
}

/** Vault's PostgreSQL default for renewals (`defaultExpirationStatement`). */
export const DEFAULT_RENEW_STATEMENT = 'ALTER ROLE "{{name}}" VALID UNTIL \'{{expiration}}\';';

/** Vault's PostgreSQL default for static-role rotation (`defaultChangePasswordStatement`). */
export const DEFAULT_ROTATION_STATEMENT = 'ALTER ROLE "{{name}}" WITH PASSWORD \'{{password}}\';';
