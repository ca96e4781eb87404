/** Where a JSON text first goes wrong: 1-based line and column, and what was expected there. */
export interface JsonSyntaxError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

/**
 * Finds the first syntax error in `text` by the JSON grammar (RFC 8259).
 *
 * `JSON.parse` on Node 20 reports neither line nor column, and its message quotes a piece of the
 * input, which in a settings file may be a password. So we locate the error ourselves and describe
 * it without quoting the text. Returns `undefined` for valid JSON.
 *
 * @example
 * locateJsonSyntaxError('{\n  "a": 1,\n}'); // { line: 3, column: 1, reason: 'expected a property name in double quotes' }
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.skipSpace();
    scanner.value();
    scanner.skipSpace();
    if (!scanner.atEnd()) scanner.fail('expected the end of the file after the top-level value');
    return undefined;
  } catch (error) {
    if (error instanceof ScanFailure) return positionOf(text, error.offset, error.reason);
    throw error;
  }
}

class ScanFailure {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

function positionOf(text: string, offset: number, reason: string): JsonSyntaxError {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, reason };
}

const LITERALS = ['true', 'false', 'null'] as const;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw U+0000–U+001F in strings; this finds them.
const STRING_CHARS = /[^"\\\u0000-\u001f]*/y;

/** A recursive-descent walk over the grammar that builds nothing and stops at the first error. */
class JsonScanner {
  #at = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  atEnd(): boolean {
    return this.#at >= this.#text.length;
  }

  fail(reason: string): never {
    throw new ScanFailure(this.#at, this.atEnd() ? `unexpected end of file (${reason})` : reason);
  }

  skipSpace(): void {
    while (!this.atEnd() && ' \t\n\r'.includes(this.#text[this.#at] ?? '')) this.#at++;
  }

  value(): void {
    const char = this.#text[this.#at];
    if (char === '{') this.#object();
    else if (char === '[') this.#array();
    else if (char === '"') this.#string();
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) this.#number();
    else this.#literal();
  }

  #literal(): void {
    for (const literal of LITERALS) {
      if (this.#text.startsWith(literal, this.#at)) {
        this.#at += literal.length;
        return;
      }
    }
    this.fail('expected a value (object, array, string in double quotes, number, true, false or null)');
  }

  #object(): void {
    this.#at++;
    this.skipSpace();
    if (this.#text[this.#at] === '}') {
      this.#at++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.#text[this.#at] !== '"') this.fail('expected a property name in double quotes');
      this.#string();
      this.skipSpace();
      if (this.#text[this.#at] !== ':') this.fail("expected ':' after the property name");
      this.#at++;
      this.skipSpace();
      this.value();
      this.skipSpace();
      const next = this.#text[this.#at];
      this.#at++;
      if (next === '}') return;
      if (next !== ',') {
        this.#at--;
        this.fail("expected ',' or '}' after the property value");
      }
    }
  }

  #array(): void {
    this.#at++;
    this.skipSpace();
    if (this.#text[this.#at] === ']') {
      this.#at++;
      return;
    }
    for (;;) {
      this.skipSpace();
      this.value();
      this.skipSpace();
      const next = this.#text[this.#at];
      this.#at++;
      if (next === ']') return;
      if (next !== ',') {
        this.#at--;
        this.fail("expected ',' or ']' after the array element");
      }
    }
  }

  #string(): void {
    this.#at++;
    for (;;) {
      STRING_CHARS.lastIndex = this.#at;
      STRING_CHARS.exec(this.#text);
      this.#at = STRING_CHARS.lastIndex;
      const char = this.#text[this.#at];
      if (char === '"') {
        this.#at++;
        return;
      }
      if (char === '\\') this.#escape();
      else if (char === undefined) this.fail('a string is not closed with "');
      else this.fail('a control character (such as a raw newline or tab) inside a string; write it as \\n or \\t');
    }
  }

  #escape(): void {
    const kind = this.#text[this.#at + 1];
    if (kind !== undefined && '"\\/bfnrt'.includes(kind)) {
      this.#at += 2;
      return;
    }
    if (kind === 'u' && /^[0-9a-fA-F]{4}$/.test(this.#text.slice(this.#at + 2, this.#at + 6))) {
      this.#at += 6;
      return;
    }
    this.fail('an invalid escape sequence in a string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
  }

  #number(): void {
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.#text);
    if (match === null) this.fail('an invalid number');
    this.#at = NUMBER.lastIndex;
  }
}
