import type { DemoStats } from './demo-stats.js';

const TTY_REFRESH_MS = 250;
const PLAIN_REFRESH_MS = 5_000;
const CLEAR_LINE = '\r\x1b[K';

/**
 * The demo's live status: on a terminal one line rewritten in place (`\r`) four times a second,
 * cut to the terminal's width; otherwise (CI, a pipe) a plain line every 5 s. Event lines are
 * printed above it.
 *
 * @example
 * const status = new StatusLine(process.stdout, stats);
 * status.start();
 * status.event('rotation 1: …');
 * status.stop();
 */
export class StatusLine {
  readonly #out: NodeJS.WriteStream;
  readonly #stats: DemoStats;
  readonly #tty: boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WriteStream, stats: DemoStats) {
    this.#out = out;
    this.#stats = stats;
    this.#tty = out.isTTY === true;
  }

  start(): void {
    this.#timer = setInterval(() => this.#draw(), this.#tty ? TTY_REFRESH_MS : PLAIN_REFRESH_MS);
    this.#draw();
  }

  /** Prints `line` (with the time) above the status line. */
  event(line: string): void {
    const text = `${this.#stats.elapsedSeconds.toFixed(1).padStart(5)} s  ${line}`;
    if (this.#tty) {
      this.#out.write(`${CLEAR_LINE}${text}\n`);
      this.#draw();
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty) this.#out.write(`${CLEAR_LINE}${this.#text()}\n`);
  }

  #draw(): void {
    if (!this.#tty) {
      this.#out.write(`${this.#text()}\n`);
      return;
    }
    const width = Math.max(20, (this.#out.columns ?? 120) - 1);
    this.#out.write(`${CLEAR_LINE}${this.#text().slice(0, width)}`);
  }

  #text(): string {
    const s = this.#stats;
    return [
      `${s.elapsedSeconds.toFixed(1).padStart(5)} s`,
      `queries ${s.ok} ok, ${s.failed} failed`,
      `rotations ${s.rotations}`,
      `renewals ${s.renewals}`,
      `Vault reads ${s.credsReads}`,
      `lease ${s.leaseLeft()} left`,
      `user ${s.lastUser ?? '-'}`,
    ].join(' │ ');
  }
}
