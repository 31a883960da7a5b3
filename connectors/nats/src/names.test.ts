import { describe, expect, it } from 'vitest'
import { escapeName, MAX_NAME_LENGTH, nodeNames, runBucket, unescapeName } from './names.js'

const ALLOWED = /^[A-Za-z0-9_-]+$/

describe('escapeName', () => {
  it('keeps letters, digits and dashes, escapes everything else into [A-Za-z0-9_-]', () => {
    expect(escapeName('geocode-2')).toBe('geocode-2')
    expect(escapeName('a_b')).toBe('a__b')
    expect(escapeName('a.b c*>/\\')).toBe('a_2Eb_20c_2A_3E_2F_5C')
    expect(escapeName('é')).toBe('_C3_A9')
  })

  it('round-trips and never produces the part separator "_-"', () => {
    for (const value of ['x', 'a_', '_-', 'a_-b', 'run 1/2', 'ünïcode 🍺', '__', 'a.b.c']) {
      const escaped = escapeName(value)
      expect(escaped).toMatch(ALLOWED)
      expect(escaped).not.toMatch(/(^|[^_])(__)*_-/)
      expect(unescapeName(escaped)).toBe(value)
    }
  })
})

describe('nodeNames', () => {
  it('derives valid, distinct names from run id and node name', () => {
    const names = nodeNames('run 1', 'geo.code')
    expect(names.stream).toMatch(ALLOWED)
    expect(names.consumer).toMatch(ALLOWED)
    expect(names.subject('enrich-0')).toBe('graphflow.run_201.geo_2Ecode.enrich-0')
    expect(names.endKey('w.1', 2)).toBe('end.2.geo_2Ecode.w_2E1')
    expect(names.doneKey(0)).toBe('done.0.geo_2Ecode')
    expect(() => names.endKey('w', -1)).toThrow(/attempt: expected an integer >= 0, got -1/)
    expect(runBucket('run 1')).toMatch(ALLOWED)
  })

  // guards against ("a_", "b") and ("a", "_b")-style pairs sharing one stream
  it('never maps two (run, node) pairs to one stream', () => {
    const pairs: [string, string][] = [
      ['a_', 'b'],
      ['a', '_b'],
      ['a-', 'b'],
      ['a', '-b'],
      ['a_-b', 'c'],
      ['a', 'b_-c'],
    ]
    const streams = new Set(pairs.map(([run, node]) => nodeNames(run, node).stream))
    expect(streams.size).toBe(pairs.length)
  })

  it('refuses empty and too long parts with a TypeError naming the option', () => {
    expect(() => nodeNames('', 'n')).toThrow(/run: expected a non-empty string/)
    expect(() => nodeNames('r', '')).toThrow(/node: expected a non-empty string/)
    expect(() => nodeNames('r', 'n').subject('')).toThrow(/worker: expected a non-empty string/)
    expect(() => nodeNames('r', 'x'.repeat(MAX_NAME_LENGTH))).toThrow(
      /stream name for run "r", node "x+" is \d+ characters/,
    )
  })
})
