import { describe, expect, it } from 'vitest';
import { renderTemplate, statementQueries } from './sql-statements.js';

describe('statementQueries (plugins/database/postgresql)', () => {
  it('splits on semicolons and fills placeholders', () => {
    expect(
      statementQueries(`CREATE ROLE "{{name}}" PASSWORD '{{password}}'; GRANT x TO "{{username}}";`, {
        name: 'v-u',
        username: 'v-u',
        password: 'p',
      }),
    ).toEqual([`CREATE ROLE "v-u" PASSWORD 'p'`, 'GRANT x TO "v-u"']);
  });

  it('keeps a block ending in END whole', () => {
    const block = `DO $$ BEGIN CREATE ROLE "{{name}}"; END $$;`;
    expect(statementQueries(block, { name: 'r' })).toEqual(['DO $$ BEGIN CREATE ROLE "r"; END $$;']);
  });

  it('leaves unknown placeholders alone', () => {
    expect(renderTemplate('{{name}} {{other}}', { name: 'n' })).toBe('n {{other}}');
  });
});
