/**
 * Prefixes `'` to a field that a spreadsheet would run as a formula (CSV injection, see
 * https://owasp.org/www-community/attacks/CSV_Injection): one starting with `=`, `+`, `-`,
 * `@`, a tab, a carriage return or NUL, and the full-width `＝ ＋ － ＠` some spreadsheets
 * normalise to them. Other values are returned unchanged.
 *
 * @example
 * ```ts
 * escapeFormula('=HYPERLINK("http://evil")') // "'=HYPERLINK(\"http://evil\")"
 * escapeFormula('plain') // 'plain'
 * ```
 */
export function escapeFormula(value: string): string {
  return startsLikeFormula(value) ? `'${value}` : value
}

/** True when {@link escapeFormula} would prefix the value. */
export function startsLikeFormula(value: string): boolean {
  switch (value.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // carriage return
    case 0x00: // NUL
    case 0xff1d: // full-width =
    case 0xff0b: // full-width +
    case 0xff0d: // full-width -
    case 0xff20: // full-width @
      return true
    default:
      return false
  }
}
