import { describe, expect, it } from 'vitest'
import { GraphflowError, InvalidAsyncGraphError } from './errors.js'

type ShopErrorCode = 'SHOP_SEND' | 'SHOP_NOT_OPEN'

class ShopError extends GraphflowError<ShopErrorCode> {
  override name = 'ShopError'
  declare readonly order: number | undefined

  constructor(message: string, options: { code: ShopErrorCode; order?: number; cause?: unknown }) {
    super(message, { ...options, scope: 'shop' })
  }
}

/** What a second install of the same packages would define: same names, other classes. */
function duplicateInstall() {
  const BRAND = Symbol.for('graphflow.error')
  class OtherGraphflowError extends Error {}
  Object.defineProperty(OtherGraphflowError, 'name', { value: 'GraphflowError' })
  Object.defineProperty(OtherGraphflowError.prototype, BRAND, { value: true })
  class OtherShopError extends OtherGraphflowError {}
  Object.defineProperty(OtherShopError, 'name', { value: 'ShopError' })
  return { shop: new OtherShopError('x'), base: new OtherGraphflowError('y') }
}

describe('GraphflowError', () => {
  it('prefixes the message, keeps the unprefixed text, the code, the cause and the details', () => {
    const cause = new Error('EPIPE')
    const error = new ShopError('cannot send order 7', { code: 'SHOP_SEND', order: 7, cause })
    expect(error.message).toBe('[graphflow] [shop] cannot send order 7')
    expect(error.text).toBe('cannot send order 7')
    expect(error.code).toBe('SHOP_SEND')
    expect(error.scope).toBe('shop')
    expect(error.cause).toBe(cause)
    expect(error.order).toBe(7)
    expect(error.name).toBe('ShopError')
    expect(new GraphflowError('plain', { code: 'X' }).message).toBe('[graphflow] plain')
  })

  it('is recognised by instanceof across duplicated installs, by class name', () => {
    const { shop, base } = duplicateInstall()
    expect(shop instanceof ShopError).toBe(true)
    expect(shop instanceof GraphflowError).toBe(true)
    expect(base instanceof GraphflowError).toBe(true)
    expect(base instanceof ShopError).toBe(false)
    expect(new Error('x') instanceof GraphflowError).toBe(false)
    expect(new InvalidAsyncGraphError('cycle') instanceof ShopError).toBe(false)
    expect(new InvalidAsyncGraphError('cycle') instanceof GraphflowError).toBe(true)
    expect((null as unknown as object) instanceof GraphflowError).toBe(false)
  })

  it('keeps the existing codes of core errors', () => {
    const error = new InvalidAsyncGraphError('start node x is not in the graph', {
      code: 'UNKNOWN_NODE',
    })
    expect(error.code).toBe('UNKNOWN_NODE')
    expect(new InvalidAsyncGraphError('no start nodes').code).toBe('INVALID_GRAPH')
  })
})
