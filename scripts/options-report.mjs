// Writes docs/reference/options.md, the options reference, from the TSDoc of the built declarations
// (packages/*/dist/**/*.d.ts, so run `pnpm build` first): for each options type a user passes
// (OPTION_TYPES below), one entry per option with its type, its default (an `@defaultValue` tag,
// else a "Default: …" sentence) and its prose; options a type takes from another library (pg, knex,
// postgres.js) are named in one sentence, not listed.
// It fails when an option has no TSDoc, and when a public `…Options` type is neither listed nor
// left out on purpose (NOT_OPTION_TYPES), so a new option cannot reach a release undocumented.
// `--check` writes nothing: it exits 1 when the page differs from what the build says. The text
// above the marker line is written by hand and kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { declarationProgram, diffSummary, fail, moduleSymbolOf, publicEntries } from './public-entries.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PAGE = join(ROOT, 'docs/reference/options.md');
const MARKER = '<!-- Generated below by `pnpm api:report` from the TSDoc of the built .d.ts files: do not edit. -->';
const check = process.argv.includes('--check');

/**
 * The options types on the page, in page order, with what takes them. `parameter` names an options
 * object declared inline in a function's signature instead of a named type.
 */
const OPTION_TYPES = [
  {
    specifier: '@dataverk/core',
    name: 'VaultCredentialProviderOptions',
    takenBy: '`new VaultCredentialProvider(options)`',
  },
  { specifier: '@dataverk/core', name: 'VaultClientOptions', takenBy: '`createVaultClient(options)`' },
  {
    specifier: '@dataverk/core',
    name: 'VaultAuthOptions',
    takenBy: 'the `auth` option of `createVaultClient` and `resolveVaultAuth`',
  },
  { specifier: '@dataverk/core', name: 'LoadSettingsOptions', takenBy: '`loadSettings(options)`' },
  { specifier: '@dataverk/core', name: 'FindSettingsFileOptions', takenBy: '`findSettingsFile(options)`' },
  { specifier: '@dataverk/core', name: 'DefaultSecretSourcesOptions', takenBy: '`defaultSecretSources(options)`' },
  { specifier: '@dataverk/core', name: 'ResolveVaultAuthOptions', takenBy: '`resolveVaultAuth(options)`' },
  {
    specifier: '@dataverk/core',
    name: 'ResolveDatabaseSettingsOptions',
    takenBy: '`resolveDatabaseSettings(settings, name, options)`',
  },
  { specifier: '@dataverk/core', name: 'AcquireOptions', takenBy: '`provider.acquire(name, options)`' },
  { specifier: '@dataverk/core', name: 'ReadOptions', takenBy: '`vault.readDatabaseCredentials(path, options)`' },
  {
    specifier: '@dataverk/core',
    name: 'closeDefaultProvider',
    parameter: 'options',
    takenBy: '`closeDefaultProvider(options)`',
  },
  {
    specifier: '@dataverk/core',
    name: 'agentSharedLeases',
    parameter: 'options',
    takenBy: '`agentSharedLeases(vault, options)`',
  },
  {
    specifier: '@dataverk/pg',
    name: 'CreatePoolOptions',
    takenBy: '`createPool(name, options)`',
    passedTo: '`pg.Pool`',
  },
  { specifier: '@dataverk/pg', name: 'ClientOptions', takenBy: '`new Client(options)` (`Dataverk`)' },
  {
    specifier: '@dataverk/pg',
    name: 'ReadSqlStreamOptions',
    takenBy: '`client.readSqlStream(name, sql, params, options)`',
  },
  {
    specifier: '@dataverk/knex',
    name: 'DataverkKnexOptions',
    takenBy: '`dataverkConfig(name, options)`',
    passedTo: 'knex, in the `Knex.Config` `dataverkConfig` returns',
  },
  {
    specifier: '@dataverk/kysely',
    name: 'DataverkPostgresDialectOptions',
    takenBy: '`new DataverkPostgresDialect(name, options)`',
  },
  {
    specifier: '@dataverk/postgres',
    name: 'DataverkSqlOptions',
    takenBy: '`dataverkSql(name, options)`',
    passedTo: 'every postgres.js instance `dataverkSql` makes (one per lease)',
  },
  { specifier: '@dataverk/testkit', name: 'StartVaultOptions', takenBy: '`startVault(options)`' },
  { specifier: '@dataverk/testkit', name: 'StartPostgresOptions', takenBy: '`startPostgres(options)`' },
  { specifier: '@dataverk/testkit', name: 'SeedDataverkOptions', takenBy: '`seedDataverk(options)`' },
  { specifier: '@dataverk/testkit', name: 'VaultDevServerOptions', takenBy: '`VaultDevServer.start(options)`' },
  { specifier: '@dataverk/testkit', name: 'HttpVaultAdminOptions', takenBy: '`new HttpVaultAdmin(options)`' },
  { specifier: '@dataverk/testkit', name: 'RdsIamFrontOptions', takenBy: '`startRdsIamFront(options)`' },
  {
    specifier: '@dataverk/testkit',
    name: 'AwsCredentialsEndpointOptions',
    takenBy: '`startAwsCredentialsEndpoint(options)`',
  },
  { specifier: '@dataverk/testkit', name: 'IamLoginFrontOptions', takenBy: '`startIamLoginFront(options)`' },
  {
    specifier: '@dataverk/testkit',
    name: 'GoogleMetadataServerOptions',
    takenBy: '`startGoogleMetadataServer(options)`',
  },
];

/** Public `…Options` types that are not options a user passes, and why. */
const NOT_OPTION_TYPES = new Map([
  ['@dataverk/core:PgConnectionOptions', 'what pgConnectionOptions() returns'],
  ['@dataverk/core:DataverkErrorOptions', 'for code that makes a DataverkError'],
  ['@dataverk/core:VaultConnectionOptions', 'listed as part of VaultClientOptions, which extends it'],
  ['@dataverk/core:PgTlsOptions', 'part of what pgConnectionOptions() returns'],
]);

const entries = publicEntries(ROOT);
const program = declarationProgram(entries.map((e) => e.file));
const checker = program.getTypeChecker();
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
const problems = [];

const exportsOf = new Map(
  entries.map(({ specifier, file }) => [specifier, checker.getExportsOfModule(moduleSymbolOf(program, file))]),
);
checkEveryOptionsTypeListed();

const sections = [];
let optionCount = 0;
for (const specifier of [...new Set(OPTION_TYPES.map((t) => t.specifier))]) {
  const types = OPTION_TYPES.filter((t) => t.specifier === specifier);
  sections.push(`## \`${specifier}\`\n`);
  for (const listed of types) sections.push(describeType(listed));
}
const existing = existsSync(PAGE) ? readFileSync(PAGE, 'utf8') : '';
const markerAt = existing.indexOf(MARKER);
const preamble = markerAt < 0 ? '# Options reference\n\n' : existing.slice(0, markerAt);
const page = `${preamble}${MARKER}\n\n${sections.join('\n').trimEnd()}\n`;

// Written even with problems (an option without TSDoc shows as "(undocumented)"), so that they can
// be seen in place; the run still fails.
if (!check) {
  writeFileSync(PAGE, page);
  console.log(`wrote docs/reference/options.md: ${OPTION_TYPES.length} types, ${optionCount} options.`);
}
if (problems.length > 0) fail(`docs/reference/options.md:\n${problems.map((p) => `  ${p}`).join('\n')}`);
if (check) {
  if (page !== existing) {
    console.error(diffSummary(existing, page));
    fail('options changed: run `pnpm api:report` and commit docs/reference/options.md (after `pnpm build`).');
  }
  console.log(
    `options unchanged: ${OPTION_TYPES.length} types, ${optionCount} options match docs/reference/options.md.`,
  );
}

/** The section of one options type: its summary, what takes it, and one entry per option. */
function describeType(listed) {
  const { symbol, node, summary } = locate(listed);
  const id = anchor(listed.name);
  const title = listed.parameter === undefined ? `\`${listed.name}\`` : `\`${listed.name}\` options`;
  const lines = [`### ${title} {#${id}}`, ''];
  if (summary !== '') lines.push(summary, '');
  lines.push(`Taken by ${listed.takenBy}.`, '');
  const type = checker.getTypeAtLocation(node);
  const members = type.isUnion() && !isOptionalScalar(type) ? type.types : [type];
  if (members.length > 1) {
    for (const member of members) lines.push(...describeVariant(listed, member));
  } else {
    for (const property of ownProperties(type)) lines.push(...describeOption(listed, property, id));
  }
  const inherited = passedThrough(symbol);
  if (inherited !== undefined) {
    if (listed.passedTo === undefined) problems.push(`${listed.name}: options of ${inherited.from} but no passedTo`);
    const except = inherited.except.length === 0 ? '' : ` (all but ${inherited.except.map(code).join(', ')})`;
    lines.push(
      `**Options of ${inherited.from}**${except}: passed through to ${listed.passedTo}; see that library's documentation.`,
      '',
    );
  }
  return lines.join('\n');
}

/** A union of object types (such as `VaultAuthOptions`): a heading per variant, its options below. */
function describeVariant(listed, member) {
  const properties = ownProperties(member);
  const tag = properties.find((p) => checker.getTypeOfSymbol(p).isStringLiteral());
  const title = tag === undefined ? 'variant' : `${tag.getName()}: ${compactType(tag)}`;
  const id = anchor(`${listed.name}-${title}`);
  const lines = [`#### \`${title}\` {#${id}}`, ''];
  for (const property of properties) {
    if (property !== tag) lines.push(...describeOption(listed, property, id, '#####'));
  }
  return lines;
}

function describeOption(listed, property, parentId, level = '####') {
  optionCount += 1;
  const { prose, defaultValue, example } = documentation(listed, property);
  const facts = [`Type: ${code(compactType(property))}${isOptional(property) ? ', optional' : ', required'}.`];
  if (defaultValue !== undefined) facts.push(`Default: ${defaultValue.replace(/\.$/, '')}.`);
  const id = `${parentId}-${anchor(property.getName())}`;
  const lines = [`${level} \`${property.getName()}\` {#${id}}`, '', facts.join(' '), '', prose, ''];
  if (example !== undefined) lines.push('```ts no-check', example, '```', '');
  return lines;
}

/** The exported type (or the inline options parameter of an exported function), its node and summary. */
function locate(listed) {
  const exported = (exportsOf.get(listed.specifier) ?? []).find((s) => s.getName() === listed.name);
  if (exported === undefined) fail(`${listed.specifier} exports no ${listed.name}: update OPTION_TYPES.`);
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declaration = symbol.getDeclarations()?.[0];
  if (listed.parameter === undefined) {
    return {
      symbol,
      node: declaration.name ?? declaration,
      summary: linked(docText(symbol.getDocumentationComment(checker))),
    };
  }
  const parameter = declaration.parameters?.find((p) => p.name.getText() === listed.parameter);
  if (parameter?.type === undefined) fail(`${listed.name} has no parameter ${listed.parameter}: update OPTION_TYPES.`);
  return { symbol: undefined, node: parameter.type, summary: '' };
}

/**
 * The properties a type declares in this repository's packages, in declaration order (those of an
 * interface it extends from here first); those from other libraries are summed up apart.
 */
function ownProperties(type) {
  return checker
    .getPropertiesOfType(type)
    .filter((p) => (p.getDeclarations() ?? []).some((d) => isOurs(d.getSourceFile())))
    .sort((a, b) => position(a) - position(b));
}

function position(symbol) {
  const declaration = symbol.getDeclarations()[0];
  const file = declaration.getSourceFile().fileName;
  // Inherited interfaces (VaultConnectionOptions) after the type's own options.
  return (file.includes('vault-connection') ? 1e9 : 0) + declaration.getStart();
}

function isOurs(sourceFile) {
  const path = relative(ROOT, sourceFile.fileName);
  return path.startsWith(`packages${sep}`) && !path.includes(`node_modules${sep}`);
}

/**
 * Where a type takes the options of another library: `Omit<pg.PoolConfig, 'user' | …>` in an
 * `extends` clause or an intersection, through aliases declared here (postgres.js's options).
 */
function passedThrough(symbol) {
  const declaration = symbol?.getDeclarations()?.[0];
  if (declaration === undefined) return undefined;
  const references = [];
  if (ts.isInterfaceDeclaration(declaration)) {
    for (const clause of declaration.heritageClauses ?? []) references.push(...clause.types);
  } else if (ts.isTypeAliasDeclaration(declaration) && ts.isIntersectionTypeNode(declaration.type)) {
    references.push(...declaration.type.types.filter((t) => ts.isTypeReferenceNode(t)));
  }
  for (const reference of references) {
    const found = foreignOptions(reference);
    if (found !== undefined) return found;
  }
  return undefined;
}

function foreignOptions(reference) {
  const name = ts.isExpressionWithTypeArguments(reference) ? reference.expression : reference.typeName;
  const target = checker.getSymbolAtLocation(name);
  const resolved =
    target !== undefined && target.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(target) : target;
  const declaration = resolved?.getDeclarations()?.[0];
  if (declaration === undefined) return undefined;
  if (name.getText() === 'Omit' && reference.typeArguments?.length === 2) {
    const [base, keys] = reference.typeArguments;
    const inner = foreignOptions(base);
    if (inner === undefined) return undefined;
    const keyType = checker.getTypeFromTypeNode(keys);
    const except = (keyType.isUnion() ? keyType.types : [keyType])
      .filter((t) => t.isStringLiteral())
      .map((t) => t.value);
    return { from: inner.from, except: [...inner.except, ...except] };
  }
  if (!isOurs(declaration.getSourceFile())) return { from: code(stripTypeArguments(reference.getText())), except: [] };
  if (ts.isTypeAliasDeclaration(declaration) && ts.isTypeReferenceNode(declaration.type)) {
    return foreignOptions(declaration.type);
  }
  return undefined;
}

function stripTypeArguments(text) {
  return text.replace(/<.*>$/s, '');
}

/** Prose, default and example of one option; a missing comment is a problem to fix in the source. */
function documentation(listed, property) {
  let prose = linked(docText(property.getDocumentationComment(checker)));
  const tags = property.getJsDocTags(checker);
  const tagText = (name) => {
    const tag = tags.find((t) => t.name === name);
    return tag === undefined ? undefined : docText(tag.text ?? []).trim();
  };
  if (prose === '') problems.push(`${listed.name}.${property.getName()} has no TSDoc: write it in the source.`);
  let defaultValue = tagText('defaultValue');
  if (defaultValue === undefined) {
    // A "Default: …" sentence: shown as the default, and not twice.
    const sentence = /(?:^|(?<=[.;])\s+)Default:\s+([\s\S]*?)(?:\.(?=\s|$)|$)/.exec(prose);
    if (sentence !== null) {
      defaultValue = sentence[1].replace(/\s+/g, ' ').trim();
      prose = `${prose.slice(0, sentence.index)}${prose.slice(sentence.index + sentence[0].length + 1)}`.trim();
    }
  }
  const example = tagText('example');
  return {
    prose: prose === '' ? '(undocumented)' : prose,
    defaultValue: defaultValue === undefined ? undefined : linked(defaultValue),
    example: example === undefined ? undefined : example.replace(/^```\w*\n|\n```$/g, ''),
  };
}

function docText(parts) {
  return ts.displayPartsToString(parts).trim();
}

/** `{@link Name}` as code, and as a link when Name is an options type on this page. */
function linked(text) {
  return text.replace(/\{@link\s+([^}\s|]+)(?:\s*\|\s*([^}]+))?\s*\}/g, (_, target, label) => {
    const shown = code(label ?? target);
    return OPTION_TYPES.some((t) => t.name === target && t.parameter === undefined)
      ? `[${shown}](#${anchor(target)})`
      : shown;
  });
}

/** The option's type as declared, on one line, `readonly` and `undefined` noise left out. */
function compactType(property) {
  const declaration = property.getDeclarations()[0];
  const text =
    declaration.type === undefined
      ? checker.typeToString(checker.getTypeOfSymbol(property))
      : printer.printNode(ts.EmitHint.Unspecified, declaration.type, declaration.getSourceFile());
  return text
    .replace(/\s+/g, ' ')
    .replace(/;\s*\}/g, ' }')
    .replace(/readonly /g, '');
}

function isOptional(property) {
  return (property.flags & ts.SymbolFlags.Optional) !== 0;
}

function isOptionalScalar(type) {
  return type.types.every((t) => !(t.flags & ts.TypeFlags.Object));
}

function code(text) {
  return text.startsWith('`') ? text : `\`${text}\``;
}

function anchor(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function checkEveryOptionsTypeListed() {
  for (const [specifier, symbols] of exportsOf) {
    if (specifier.endsWith('/adapter-support')) continue;
    for (const exported of symbols) {
      const name = exported.getName();
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!/Options$/.test(name) || !(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
      const listed = OPTION_TYPES.some((t) => t.specifier === specifier && t.name === name);
      if (!listed && !NOT_OPTION_TYPES.has(`${specifier}:${name}`)) {
        problems.push(`${specifier} exports ${name}: add it to OPTION_TYPES (or NOT_OPTION_TYPES, saying why).`);
      }
    }
  }
}
