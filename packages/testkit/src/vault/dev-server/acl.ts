import type { Capability, PathRule } from './acl-policy.js';

interface CompiledRule {
  readonly path: string;
  readonly exact: boolean;
  readonly matcher: RegExp;
  readonly capabilities: Set<Capability>;
}

/**
 * The merged rules of a token's policies, answering "may this token do X on path P" with Vault's
 * matching rules: an exact path wins; otherwise the most specific `*`/`+` pattern (the priority
 * order of Vault's policy docs), and `deny` on that pattern denies everything.
 */
export class Acl {
  readonly #root: boolean;
  readonly #rules: CompiledRule[];
  /** The exact-path rules by path (one per path: rules are merged by path); asked at every request. */
  readonly #exact: ReadonlyMap<string, CompiledRule>;

  constructor(rules: readonly PathRule[], options: { root?: boolean } = {}) {
    this.#root = options.root ?? false;
    const merged = new Map<string, Set<Capability>>();
    for (const rule of rules) {
      const into = merged.get(rule.path) ?? new Set<Capability>();
      for (const capability of rule.capabilities) into.add(capability);
      merged.set(rule.path, into);
    }
    this.#rules = [...merged].map(([path, capabilities]) => compile(path, capabilities));
    this.#exact = new Map(this.#rules.filter((rule) => rule.exact).map((rule) => [rule.path, rule]));
  }

  /** Capabilities granted on `path` (all of them for the root policy). */
  capabilities(path: string): ReadonlySet<Capability> {
    if (this.#root) return new Set<Capability>(['create', 'read', 'update', 'delete', 'list', 'patch', 'sudo']);
    const rule = this.#exact.get(path) ?? this.#mostSpecific(path);
    if (rule === undefined || rule.capabilities.has('deny')) return new Set();
    return rule.capabilities;
  }

  allows(path: string, anyOf: readonly Capability[]): boolean {
    const granted = this.capabilities(path);
    return anyOf.some((capability) => granted.has(capability));
  }

  /** Whether any rule grants something at or below `mountPath` (Vault's `hasMountAccess`). */
  hasMountAccess(mountPath: string): boolean {
    if (this.#root) return true;
    return this.#rules.some(
      (rule) =>
        !rule.capabilities.has('deny') &&
        rule.capabilities.size > 0 &&
        (rule.path.startsWith(mountPath) || rule.matcher.test(mountPath)),
    );
  }

  #mostSpecific(path: string): CompiledRule | undefined {
    let best: CompiledRule | undefined;
    for (const rule of this.#rules) {
      if (rule.exact || !rule.matcher.test(path)) continue;
      if (best === undefined || morePrecise(rule.path, best.path)) best = rule;
    }
    return best;
  }
}

function compile(path: string, capabilities: Set<Capability>): CompiledRule {
  const glob = path.endsWith('*');
  const body = glob ? path.slice(0, -1) : path;
  const segments = body.split('/').map((segment) => (segment === '+' ? '[^/]+' : escapeRegExp(segment)));
  const exact = !glob && !body.split('/').includes('+');
  return { path, exact, matcher: new RegExp(`^${segments.join('/')}${glob ? '.*' : ''}$`), capabilities };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Vault's policy priority: is pattern `a` more specific than pattern `b`? */
function morePrecise(a: string, b: string): boolean {
  const wildcardAt = (p: string) => {
    const positions = [p.indexOf('+'), p.indexOf('*')].filter((i) => i >= 0);
    return positions.length === 0 ? p.length : Math.min(...positions);
  };
  if (wildcardAt(a) !== wildcardAt(b)) return wildcardAt(a) > wildcardAt(b);
  if (a.endsWith('*') !== b.endsWith('*')) return !a.endsWith('*');
  const plusCount = (p: string) => p.split('/').filter((segment) => segment === '+').length;
  if (plusCount(a) !== plusCount(b)) return plusCount(a) < plusCount(b);
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}
