/** A state, province or county the dataset places breweries in. */
export interface RegionProfile {
  /** Written to `state_province` and `state`. */
  readonly name: string
  /** Relative share of the country's breweries. */
  readonly weight: number
  readonly cities: readonly string[]
  /** Centre the generated coordinates scatter around. */
  readonly latitude: number
  readonly longitude: number
  /** Replaces `P` in the country's postal pattern; keeps leading zeros (`02`, `01`, `00`). */
  readonly postalPrefix: string
}

/** How breweries in one country are named, addressed and numbered. */
export interface CountryProfile {
  /** The live API's spelling, e.g. `United States`. */
  readonly country: string
  /** Relative share of the non-US breweries (ignored for the United States). */
  readonly share: number
  /** `P` = region prefix, `#` = digit, `A` = upper-case letter, anything else literal. */
  readonly postalPattern: string
  /** `+353 ` style prefix, or `null` for US-style bare 10-digit numbers. */
  readonly phonePrefix: string | null
  readonly websiteDomain: string
  readonly style: 'american' | 'british' | 'german' | 'belgian' | 'polish'
  readonly regions: readonly RegionProfile[]
}

/** The country most breweries are in, as the live API spells it. */
export const UNITED_STATES = 'United States'

/** Every country the generated dataset uses, with the United States first. */
export const COUNTRY_PROFILES: readonly CountryProfile[] = [
  {
    country: UNITED_STATES,
    share: 0,
    postalPattern: 'P###',
    phonePrefix: null,
    websiteDomain: 'com',
    style: 'american',
    regions: [
      region(
        'California',
        14,
        ['San Diego', 'Los Angeles', 'Santa Rosa', 'Chico'],
        36.7,
        -119.4,
        '94',
      ),
      region(
        'Colorado',
        8,
        ['Denver', 'Boulder', 'Fort Collins', 'Colorado Springs'],
        39.5,
        -105.7,
        '80',
      ),
      region('Oregon', 7, ['Portland', 'Bend', 'Eugene', 'Hood River'], 44.0, -120.5, '97'),
      region('Washington', 7, ['Seattle', 'Spokane', 'Tacoma', 'Bellingham'], 47.4, -120.7, '98'),
      region(
        'Michigan',
        6,
        ['Grand Rapids', 'Detroit', 'Kalamazoo', 'Traverse City'],
        44.3,
        -85.6,
        '49',
      ),
      region('New York', 7, ['Brooklyn', 'Buffalo', 'Rochester', 'Cooperstown'], 42.9, -75.5, '14'),
      region(
        'Pennsylvania',
        6,
        ['Philadelphia', 'Pittsburgh', 'Lancaster', 'Erie'],
        40.9,
        -77.8,
        '19',
      ),
      region('Texas', 6, ['Austin', 'Houston', 'San Antonio', 'Dallas'], 31.0, -99.9, '78'),
      region(
        'Massachusetts',
        4,
        ['Boston', 'Worcester', 'Springfield', 'Salem'],
        42.2,
        -71.8,
        '01',
      ),
      region('Vermont', 2, ['Burlington', 'Waterbury', 'Stowe', 'Brattleboro'], 44.0, -72.7, '05'),
      region('Maine', 2, ['Portland', 'Bangor', 'Bar Harbor', 'Lewiston'], 45.3, -69.2, '04'),
      region('New Jersey', 3, ['Newark', 'Cape May', 'Asbury Park', 'Trenton'], 40.1, -74.5, '08'),
      region(
        'North Carolina',
        5,
        ['Asheville', 'Raleigh', 'Charlotte', 'Durham'],
        35.6,
        -79.0,
        '27',
      ),
      region(
        'Wisconsin',
        4,
        ['Milwaukee', 'Madison', 'Green Bay', 'Eau Claire'],
        44.5,
        -89.5,
        '53',
      ),
      region('Alaska', 1, ['Anchorage', 'Juneau', 'Fairbanks', 'Homer'], 61.4, -152.3, '99'),
      region('Hawaii', 1, ['Honolulu', 'Kailua-Kona', 'Hilo', 'Lahaina'], 20.8, -156.3, '96'),
    ],
  },
  {
    country: 'England',
    share: 34,
    postalPattern: 'P# #AA',
    phonePrefix: '+44 ',
    websiteDomain: 'co.uk',
    style: 'british',
    regions: [
      region('Greater London', 5, ['London', 'Croydon', 'Bermondsey'], 51.5, -0.12, 'SE'),
      region('Greater Manchester', 3, ['Manchester', 'Stockport', 'Salford'], 53.48, -2.24, 'M'),
      region('West Yorkshire', 3, ['Leeds', 'Huddersfield', 'Halifax'], 53.8, -1.55, 'LS'),
      region('Bristol', 2, ['Bristol', 'Clifton'], 51.45, -2.59, 'BS'),
    ],
  },
  {
    country: 'Ireland',
    share: 22,
    postalPattern: 'P A#AA',
    phonePrefix: '+353 ',
    websiteDomain: 'ie',
    style: 'british',
    regions: [
      region('Dublin', 5, ['Dublin', 'Dún Laoghaire', 'Swords'], 53.35, -6.26, 'D08'),
      region('Cork', 3, ['Cork', 'Kinsale', 'Clonakilty'], 51.9, -8.47, 'T12'),
      region('Galway', 2, ['Galway', 'Clifden', 'Tuam'], 53.27, -9.05, 'H91'),
      region('Kerry', 1, ['Killarney', 'Tralee', 'Dingle'], 52.06, -9.5, 'V93'),
    ],
  },
  {
    country: 'Scotland',
    share: 14,
    postalPattern: 'P# #AA',
    phonePrefix: '+44 ',
    websiteDomain: 'scot',
    style: 'british',
    regions: [
      region('Edinburgh', 3, ['Edinburgh', 'Leith', 'Portobello'], 55.95, -3.19, 'EH'),
      region('Glasgow', 3, ['Glasgow', 'Paisley'], 55.86, -4.25, 'G'),
      region('Aberdeenshire', 2, ['Aberdeen', 'Ellon', 'Stonehaven'], 57.15, -2.09, 'AB'),
    ],
  },
  {
    country: 'Germany',
    share: 16,
    postalPattern: 'P###',
    phonePrefix: '+49 ',
    websiteDomain: 'de',
    style: 'german',
    regions: [
      region('Bayern', 5, ['München', 'Bamberg', 'Würzburg', 'Freising'], 48.79, 11.5, '80'),
      region('Berlin', 2, ['Berlin'], 52.52, 13.4, '10'),
      region('Nordrhein-Westfalen', 3, ['Köln', 'Düsseldorf', 'Münster'], 51.43, 7.66, '50'),
      region('Sachsen', 2, ['Dresden', 'Leipzig', 'Görlitz'], 51.1, 13.2, '01'),
    ],
  },
  {
    country: 'Poland',
    share: 8,
    postalPattern: 'P-###',
    phonePrefix: '+48 ',
    websiteDomain: 'pl',
    style: 'polish',
    regions: [
      region('Małopolskie', 2, ['Kraków', 'Tarnów', 'Zakopane'], 50.06, 19.94, '31'),
      region('Mazowieckie', 3, ['Warszawa', 'Płock', 'Radom'], 52.23, 21.01, '00'),
      region('Łódzkie', 1, ['Łódź', 'Piotrków Trybunalski'], 51.76, 19.46, '90'),
    ],
  },
  {
    country: 'Belgium',
    share: 6,
    postalPattern: 'P##',
    phonePrefix: '+32 ',
    websiteDomain: 'be',
    style: 'belgian',
    regions: [
      region('Vlaanderen', 4, ['Gent', 'Brugge', 'Kortrijk', 'Leuven'], 51.05, 3.72, '90'),
      region('Wallonie', 2, ['Namur', 'Liège', 'Bouillon'], 50.47, 4.87, '50'),
      region('Brussels', 2, ['Brussel', 'Anderlecht', 'Saint-Gilles'], 50.85, 4.35, '10'),
    ],
  },
]

function region(
  name: string,
  weight: number,
  cities: readonly string[],
  latitude: number,
  longitude: number,
  postalPrefix: string,
): RegionProfile {
  return { name, weight, cities, latitude, longitude, postalPrefix }
}

/** Words the brewery-name generator combines. */
export const NAME_WORDS = {
  adjectives: ['Golden', 'Iron', 'Wild', 'Old Town', 'Lost', 'Copper', 'Salty', 'Hidden', 'Red'],
  nouns: ['Bear', 'River', 'Anchor', 'Hop', 'Fox', 'Barrel', 'Mountain', 'Harbor', 'Owl', 'Mill'],
  surnames: ['Smith', 'Müller', "O'Neill", 'Kowalski', 'Janssens', 'García', 'Schäfer', 'Brady'],
  americanSuffixes: ['Brewing Company', 'Brewery', 'Beer Co.', 'Ales', 'Brewhouse', 'Taproom'],
  britishSuffixes: ['Brewery', 'Brewing Co.', 'Brew Co', 'Ales', 'Brewhouse'],
  streets: ['Main', 'Oak', 'Market', 'Harbour', 'Church', 'Mill', 'Station', 'Kościuszki'],
  americanStreetTypes: ['St', 'Ave', 'Blvd', 'Rd', 'Way', 'Dr'],
} as const
