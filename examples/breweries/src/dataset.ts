import {
  COUNTRY_PROFILES,
  type CountryProfile,
  NAME_WORDS,
  type RegionProfile,
  UNITED_STATES,
} from './dataset-places.js'
import { NASTY_NAMES } from './nasty-names.js'
import {
  mulberry32,
  pick,
  pickWeighted,
  type RandomSource,
  randomInteger,
  randomUuid,
  shuffle,
} from './seeded-random.js'

export { NASTY_NAMES } from './nasty-names.js'

/** The brewery types the live Open Brewery DB API knows. */
export const BREWERY_TYPES = [
  'micro',
  'nano',
  'regional',
  'brewpub',
  'large',
  'planning',
  'bar',
  'contract',
  'proprietor',
  'closed',
] as const

/** One of {@link BREWERY_TYPES}. */
export type BreweryType = (typeof BREWERY_TYPES)[number]

/** One brewery, shaped exactly like a record of the live `GET /v1/breweries` API. */
export interface Brewery {
  id: string
  name: string
  brewery_type: BreweryType
  address_1: string | null
  address_2: string | null
  address_3: string | null
  city: string
  state_province: string
  postal_code: string
  country: string
  longitude: number | null
  latitude: number | null
  phone: string | null
  website_url: string | null
  /** Same as `state_province` (the live API keeps both). */
  state: string
  /** Same as `address_1` (the live API keeps both). */
  street: string | null
}

/** The 16 keys of a {@link Brewery}, in the live API's order. */
export const BREWERY_COLUMNS = [
  'id',
  'name',
  'brewery_type',
  'address_1',
  'address_2',
  'address_3',
  'city',
  'state_province',
  'postal_code',
  'country',
  'longitude',
  'latitude',
  'phone',
  'website_url',
  'state',
  'street',
] as const satisfies readonly (keyof Brewery)[]

/** Options for {@link generateBreweries}. */
export interface GenerateBreweriesOptions {
  /**
   * How many breweries to generate; 76% of them are in the United States.
   * @default 5000
   */
  count?: number
  /**
   * Seed of the pseudo-random generator; the same seed and count give the same records.
   * @default 20240601
   */
  seed?: number
}

/** Share of the generated breweries placed in the United States (3,800 of the default 5,000). */
export const UNITED_STATES_SHARE = 0.76

const TYPE_WEIGHTS: readonly (readonly [BreweryType, number])[] = [
  ['micro', 45],
  ['brewpub', 25],
  ['planning', 8],
  ['regional', 5],
  ['closed', 5],
  ['contract', 3],
  ['nano', 3],
  ['proprietor', 2],
  ['large', 2],
  ['bar', 2],
]

const SECOND_ADDRESS_LINES = ['Suite 100', 'Unit 4B', 'Building 2, Floor 3', 'Rear\nLoading Dock']

/**
 * Generates a deterministic, realistic and deliberately awkward Open Brewery DB dataset.
 * @example generateBreweries({ count: 100, seed: 7 })
 */
export function generateBreweries(options: GenerateBreweriesOptions = {}): Brewery[] {
  const count = options.count ?? 5000
  const random = mulberry32(options.seed ?? 20240601)
  const countries = shuffle(random, countryPlan(count))
  const nastyNameAt = placeNastyNames(countries)
  return countries.map((profile, index) => generateBrewery(random, profile, nastyNameAt.get(index)))
}

/**
 * Spreads the nasty names evenly over the US breweries (the example's default export), or over
 * all of them when there are too few US ones. Returns record index -> name.
 */
function placeNastyNames(countries: readonly CountryProfile[]): Map<number, string> {
  const unitedStatesIndexes = countries.flatMap((profile, index) =>
    profile.country === UNITED_STATES ? [index] : [],
  )
  const candidates =
    unitedStatesIndexes.length >= NASTY_NAMES.length
      ? unitedStatesIndexes
      : countries.map((_, index) => index)
  const nastyNameAt = new Map<number, string>()
  NASTY_NAMES.forEach((name, position) => {
    const slot = Math.floor(((position + 0.5) * candidates.length) / NASTY_NAMES.length)
    const index = candidates[slot]
    if (index !== undefined) nastyNameAt.set(index, name)
  })
  return nastyNameAt
}

/** One profile per brewery: exactly `round(count * 0.76)` US ones, the rest by share. */
function countryPlan(count: number): CountryProfile[] {
  const unitedStatesCount = Math.round(count * UNITED_STATES_SHARE)
  const others = COUNTRY_PROFILES.filter((profile) => profile.country !== UNITED_STATES)
  const unitedStates = COUNTRY_PROFILES.find((profile) => profile.country === UNITED_STATES)!
  const totalShare = others.reduce((sum, profile) => sum + profile.share, 0)
  const plan: CountryProfile[] = new Array(unitedStatesCount).fill(unitedStates)
  let remaining = count - unitedStatesCount
  others.forEach((profile, position) => {
    const isLast = position === others.length - 1
    const share = isLast
      ? remaining
      : Math.round(((count - unitedStatesCount) * profile.share) / totalShare)
    const taken = Math.min(share, remaining)
    for (let index = 0; index < taken; index++) plan.push(profile)
    remaining -= taken
  })
  return plan
}

function generateBrewery(
  random: RandomSource,
  profile: CountryProfile,
  nastyName: string | undefined,
): Brewery {
  const id = randomUuid(random)
  const region = pickWeighted(
    random,
    profile.regions.map((item) => [item, item.weight] as const),
  )
  const city = pick(random, region.cities)
  const breweryType = pickWeighted(random, TYPE_WEIGHTS)
  const name = nastyName ?? breweryName(random, profile, city)
  const nullAddressChance = breweryType === 'planning' ? 0.6 : 0.04
  const address1 = random() < nullAddressChance ? null : streetAddress(random, profile)
  const address2 = random() < 0.08 ? pick(random, SECOND_ADDRESS_LINES) : null
  const address3 = random() < 0.015 ? 'c/o Taproom Holdings, LLC' : null
  const [longitude, latitude] = coordinates(random, region)
  return {
    id,
    name,
    brewery_type: breweryType,
    address_1: address1,
    address_2: address2,
    address_3: address3,
    city,
    state_province: region.name,
    postal_code: postalCode(random, profile, region),
    country: profile.country,
    longitude,
    latitude,
    phone: random() < 0.12 ? null : phoneNumber(random, profile),
    website_url: random() < 0.2 ? null : websiteUrl(random, profile, name),
    state: region.name,
    street: address1,
  }
}

function breweryName(random: RandomSource, profile: CountryProfile, city: string): string {
  const { adjectives, nouns, surnames, americanSuffixes, britishSuffixes } = NAME_WORDS
  const noun = pick(random, nouns)
  const surname = pick(random, surnames)
  switch (profile.style) {
    case 'german':
      return pick(random, [`Brauerei ${surname}`, `${city}er Brauhaus`, `${surname} Bräu`])
    case 'belgian':
      return pick(random, [`Brouwerij De ${noun}`, `Brasserie du ${noun}`, `Brouwerij ${surname}`])
    case 'polish':
      return pick(random, [`Browar ${surname}`, `Browar ${city}`, `Pracownia Piwa ${noun}`])
    case 'british':
      return pick(random, [
        `The ${noun} & ${pick(random, nouns)} ${pick(random, britishSuffixes)}`,
        `${city} ${pick(random, britishSuffixes)}`,
        `${surname}'s ${pick(random, britishSuffixes)}`,
      ])
    case 'american':
      return pick(random, [
        `${pick(random, adjectives)} ${noun} ${pick(random, americanSuffixes)}`,
        `${city} ${pick(random, americanSuffixes)}`,
        `${surname}'s ${noun} ${pick(random, americanSuffixes)}`,
        `${noun}, ${pick(random, nouns)} & Co.`,
      ])
  }
}

function streetAddress(random: RandomSource, profile: CountryProfile): string {
  const street = pick(random, NAME_WORDS.streets)
  const number = randomInteger(random, 1, 9999)
  switch (profile.style) {
    case 'german':
      return `${street}straße ${number % 200}`
    case 'belgian':
      return `${street}straat ${number % 150}`
    case 'polish':
      return `ul. ${street} ${number % 120}`
    case 'british':
      return `Unit ${number % 40}, ${street} Road`
    case 'american':
      return `${number} ${street} ${pick(random, NAME_WORDS.americanStreetTypes)}`
  }
}

function postalCode(random: RandomSource, profile: CountryProfile, region: RegionProfile): string {
  let code = ''
  for (const character of profile.postalPattern) {
    if (character === 'P') code += region.postalPrefix
    else if (character === '#') code += String(randomInteger(random, 0, 9))
    else if (character === 'A') code += String.fromCharCode(65 + randomInteger(random, 0, 25))
    else code += character
  }
  const isZipPlusFour = profile.country === UNITED_STATES && random() < 0.4
  return isZipPlusFour ? `${code}-${String(randomInteger(random, 0, 9999)).padStart(4, '0')}` : code
}

function coordinates(random: RandomSource, region: RegionProfile): [number | null, number | null] {
  if (random() < 0.07) return [null, null]
  const longitude = region.longitude + (random() - 0.5) * 2.4
  const latitude = region.latitude + (random() - 0.5) * 1.6
  return [roundTo(longitude, 8), roundTo(latitude, 8)]
}

function phoneNumber(random: RandomSource, profile: CountryProfile): string {
  const digits = (length: number) =>
    Array.from({ length }, () => String(randomInteger(random, 0, 9))).join('')
  if (profile.phonePrefix === null) return `${randomInteger(random, 201, 989)}${digits(7)}`
  return `${profile.phonePrefix}${digits(2)} ${digits(3)} ${digits(4)}`
}

function websiteUrl(random: RandomSource, profile: CountryProfile, name: string): string {
  const slug = name
    .normalize('NFD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '')
  const scheme = random() < 0.5 ? 'http://www.' : 'https://'
  return `${scheme}${slug || 'brewery'}.${profile.websiteDomain}`
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}
