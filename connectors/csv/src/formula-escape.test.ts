import { describe, expect, it } from 'vitest'
import { escapeFormula, startsLikeFormula } from './formula-escape.js'

describe('escapeFormula', () => {
  it("prefixes ' to values starting with = + - @ tab CR NUL and their full-width forms", () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r', '\0', '＝', '＋', '－', '＠']) {
      expect(escapeFormula(`${start}1`)).toBe(`'${start}1`)
      expect(startsLikeFormula(`${start}1`)).toBe(true)
    }
  })

  it('leaves other values alone', () => {
    for (const value of ['', 'a=1', ' =1', '1-2', "'=1", '\n=1', 'é']) {
      expect(escapeFormula(value)).toBe(value)
    }
  })
})
