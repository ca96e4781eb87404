import { loadSettings } from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { describeError } from './exit-code.js';

describe('the settings-file-missing message at the command line', () => {
  it('names --settings, not the library option', async () => {
    const error = await loadSettings({ path: '/nonexistent/dataverk-settings', env: {}, cwd: '/nonexistent' }).catch(
      (caught: unknown) => caught,
    );
    const described = describeError(error);
    expect(described).toMatch(/^DATAVERK_SETTINGS_FILE_MISSING: /);
    expect(described).toContain('pass --settings PATH');
    expect(described).not.toContain('{ path }');
  });
});
