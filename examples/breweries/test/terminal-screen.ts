/**
 * A small terminal for tests: applies what cli-progress and the CLI write (text, line feeds,
 * cursor moves, erases, auto-wrap on/off) to a grid of a given width, so a test can read the
 * screen a user would see.
 */
export class TerminalScreen {
  readonly isTTY = true
  readonly columns: number
  #lines: string[][] = [[]]
  #row = 0
  #column = 0
  #autoWrap = true

  constructor(columns: number) {
    this.columns = columns
  }

  /** The stream side: what a `NodeJS.WriteStream` needs for cli-progress and the summary. */
  write = (text: string | Uint8Array, callback?: () => void): boolean => {
    this.#apply(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'))
    callback?.()
    return true
  }
  on = () => this
  once = () => this
  removeListener = () => this

  /** The screen's lines, trailing spaces trimmed. */
  lines(): string[] {
    return this.#lines.map((line) => line.join('').trimEnd())
  }

  #line(): string[] {
    while (this.#lines.length <= this.#row) this.#lines.push([])
    return this.#lines[this.#row] as string[]
  }

  #apply(text: string): void {
    for (let index = 0; index < text.length; index++) {
      const char = text[index] as string
      if (char === '\x1b') {
        index = this.#escape(text, index)
      } else if (char === '\n') {
        this.#row++
        this.#column = 0
      } else if (char === '\r') {
        this.#column = 0
      } else {
        if (this.#column >= this.columns) {
          if (this.#autoWrap) {
            this.#row++
            this.#column = 0
          } else this.#column = this.columns - 1
        }
        const line = this.#line()
        while (line.length < this.#column) line.push(' ')
        line[this.#column++] = char
      }
    }
  }

  /** Applies one escape sequence starting at `start`; returns the index of its last char. */
  #escape(text: string, start: number): number {
    const next = text[start + 1]
    if (next !== '[') return start + 1 // ESC 7 / ESC 8 and the like: no effect on the text
    const match = /^\[(\??)([\d;]*)([A-Za-z])/.exec(text.slice(start + 1))
    if (!match) return start + 1
    const [whole, privateMode, parameters, command] = match
    const count = Number(parameters || '1')
    if (privateMode) {
      if (parameters === '7') this.#autoWrap = command === 'h'
      return start + whole.length
    }
    const line = this.#line()
    if (command === 'A') this.#row = Math.max(0, this.#row - count)
    else if (command === 'B') this.#row += count
    else if (command === 'C') this.#column += count
    else if (command === 'D') this.#column = Math.max(0, this.#column - count)
    else if (command === 'G') this.#column = count - 1
    else if (command === 'K') {
      if (parameters === '2') line.length = 0
      else line.length = Math.min(line.length, this.#column)
    } else if (command === 'J') {
      line.length = Math.min(line.length, this.#column)
      this.#lines.length = Math.min(this.#lines.length, this.#row + 1)
    }
    return start + whole.length
  }
}
