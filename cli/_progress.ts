/**
 * Progress on stderr: a bar redrawn in place (`\r\x1b[2K`) on a terminal, sparse plain lines
 * (25/50/75/100 %) when piped. Colour only when allowed (`NO_COLOR`).
 *
 * @module
 */
import type { CliIo } from "./_io.ts";

/** Reports progress of `total` units of work. */
export class Progress {
  #io: CliIo;
  #label: string;
  #total: number;
  #done = 0;
  #lastQuarter = 0;
  #width: number;
  #finished = false;

  /** Creates a progress reporter; nothing is printed until {@link tick}. */
  constructor(io: CliIo, label: string, total: number, options: { width?: number } = {}) {
    this.#io = io;
    this.#label = label;
    this.#total = Math.max(0, total);
    this.#width = Math.max(10, Math.min(40, options.width ?? 30));
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Changes the total (when it becomes known late). */
  setTotal(total: number): void {
    this.#total = Math.max(0, total);
  }

  /** Marks `n` more units done (with an optional note for the current item). */
  tick(n = 1, note = ""): void {
    if (this.#finished) return;
    this.#done = Math.min(this.#total || Infinity, this.#done + n);
    const frac = this.#total > 0 ? this.#done / this.#total : 1;
    if (this.#io.isTTY) {
      const filled = Math.round(frac * this.#width);
      const bar = "#".repeat(filled) + "-".repeat(this.#width - filled);
      const pct = `${Math.floor(frac * 100)}%`.padStart(4);
      const colored = this.#io.noColor ? bar : `\x1b[36m${bar}\x1b[0m`;
      const tail = note ? ` ${note.slice(0, 40)}` : "";
      this.#io.stderr(
        `\r\x1b[2K${this.#label} [${colored}] ${pct} ${this.#done}/${this.#total}${tail}`,
      );
      return;
    }
    const quarter = Math.floor(frac * 4);
    if (quarter > this.#lastQuarter) {
      this.#lastQuarter = quarter;
      this.#io.stderr(`${this.#label}: ${quarter * 25}% (${this.#done}/${this.#total})\n`);
    }
  }

  /** Ends the bar (a newline on a terminal). Idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#io.isTTY && this.#done > 0) this.#io.stderr("\n");
  }
}
