import { VaultErrorReply } from './vault-error-reply.js';
import { type HandlerResult, logical } from './vault-response.js';

/**
 * A KV `LIST` answer: the keys directly under `folder`, sub-folders with a trailing slash, sorted;
 * 404 with no errors when there are none (Vault's rule for empty lists).
 */
export function listChildKeys(paths: Iterable<string>, folder: string): HandlerResult {
  const prefix = folder === '' ? '' : `${folder.replace(/\/+$/, '')}/`;
  const keys = new Set<string>();
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length);
    const slash = rest.indexOf('/');
    keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  if (keys.size === 0) throw VaultErrorReply.notFound();
  return logical({ keys: [...keys].sort() });
}
