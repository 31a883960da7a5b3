/**
 * Brewery names that break naive CSV, SQL and JSON handling: quotes, commas, accents, typographic
 * quotes, embedded newlines and formula-like leading characters. All of them appear, among the
 * US breweries, whenever there are at least as many US breweries as nasty names.
 */
export const NASTY_NAMES: readonly string[] = [
  'The "Hop" House',
  'Smith, Jones & Sons Brewing Co.',
  'Brauerei Müller',
  'Cervecería La Niña',
  '’t Drankorgel',
  "O'Brien's Brewpub",
  '“Smart Quotes” Brewing',
  'Line One\nBrewing Company',
  'Carriage Return\r\nAle Works',
  '=SUM(1+1) Brewing',
  '+1 Ale Works',
  '-273 Below Brewing',
  '@Home Brewing Collective',
  'Browar Żywiec, "Stary Rynek"',
  "Brasserie d'Achouffe",
  'Zur Alten Brücke Bräu',
  '🍺 Emoji Brewing',
  'Semi;Colon Brewing',
  '  Padded Name Brewing  ',
  'Tab\tSeparated Brewing',
  'Łódź Craft Brewery',
  '=HYPERLINK("http://example.com","Click me")',
]
