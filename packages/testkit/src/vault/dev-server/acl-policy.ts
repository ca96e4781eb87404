import { VaultErrorReply } from './vault-error-reply.js';
import type { VaultOperation } from './vault-request.js';

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list' | 'patch' | 'sudo' | 'deny';

const CAPABILITIES: ReadonlySet<string> = new Set([
  'create',
  'read',
  'update',
  'delete',
  'list',
  'patch',
  'sudo',
  'deny',
]);

/** Vault's legacy `policy = "…"` shorthand. */
const LEGACY_POLICY: Readonly<Record<string, readonly Capability[]>> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

/** One `path "…" { capabilities = […] }` block. */
export interface PathRule {
  readonly path: string;
  readonly capabilities: ReadonlySet<Capability>;
}

type Token = { readonly kind: 'string' | 'word' | 'symbol'; readonly text: string };

/**
 * Parses the part of Vault's HCL policy language the dev server needs: `path` blocks with
 * `capabilities` (or the legacy `policy`); other attributes such as `allowed_parameters` are read
 * and ignored.
 *
 * @example
 * parsePolicy('path "database/creds/*" { capabilities = ["read"] }');
 */
export function parsePolicy(hcl: string): PathRule[] {
  const tokens = tokenize(hcl);
  const rules: PathRule[] = [];
  let at = 0;
  const next = (): Token => {
    const token = tokens[at++];
    if (token === undefined) throw parseError('unexpected end of policy');
    return token;
  };
  while (at < tokens.length) {
    const keyword = next();
    if (keyword.text !== 'path') throw parseError(`unexpected "${keyword.text}", expected path`);
    const path = next();
    if (path.kind !== 'string') throw parseError('path must be a quoted string');
    if (next().text !== '{') throw parseError('expected { after path');
    const capabilities = new Set<Capability>();
    for (let token = next(); token.text !== '}'; token = next()) {
      if (next().text !== '=') throw parseError(`expected = after ${token.text}`);
      const value = readValue(next);
      if (token.text === 'capabilities') addCapabilities(capabilities, value);
      if (token.text === 'policy') for (const c of LEGACY_POLICY[String(value)] ?? []) capabilities.add(c);
    }
    rules.push({ path: path.text.replace(/^\//, ''), capabilities });
  }
  return rules;
}

function addCapabilities(into: Set<Capability>, value: unknown): void {
  if (!Array.isArray(value)) throw parseError('capabilities must be a list');
  for (const item of value) {
    const name = String(item).toLowerCase();
    if (!CAPABILITIES.has(name)) throw parseError(`invalid capability "${name}"`);
    into.add(name as Capability);
  }
}

function readValue(next: () => Token): unknown {
  const token = next();
  if (token.kind === 'string' || token.kind === 'word') return token.text;
  if (token.text === '[') {
    const items: unknown[] = [];
    for (let item = next(); item.text !== ']'; item = next()) {
      if (item.text !== ',') items.push(item.text);
    }
    return items;
  }
  if (token.text === '{') {
    // A nested map such as allowed_parameters: skip to its closing brace.
    for (let depth = 1; depth > 0; ) {
      const inner = next();
      if (inner.kind === 'symbol' && inner.text === '{') depth++;
      if (inner.kind === 'symbol' && inner.text === '}') depth--;
    }
    return undefined;
  }
  throw parseError(`unexpected "${token.text}"`);
}

function tokenize(hcl: string): Token[] {
  const pattern = /\s+|#[^\n]*|\/\/[^\n]*|\/\*[\s\S]*?\*\/|"((?:[^"\\]|\\.)*)"|([{}[\]=,])|([A-Za-z0-9_.-]+)/y;
  const tokens: Token[] = [];
  for (let index = 0; index < hcl.length; ) {
    pattern.lastIndex = index;
    const match = pattern.exec(hcl);
    if (match === null) throw parseError(`unexpected character "${hcl[index]}"`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'string', text: JSON.parse(`"${match[1]}"`) as string });
    else if (match[2] !== undefined) tokens.push({ kind: 'symbol', text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'word', text: match[3] });
  }
  return tokens;
}

function parseError(reason: string): VaultErrorReply {
  return VaultErrorReply.badRequest(`failed to parse policy: ${reason}`);
}

/** The capabilities an operation needs; any one of them suffices. */
export function capabilitiesFor(operation: VaultOperation): readonly Capability[] {
  switch (operation) {
    case 'create':
    case 'update':
      // Vault picks create or update with an existence check; we accept either.
      return ['create', 'update'];
    default:
      return [operation];
  }
}
