/** The records the benchmarks move: small brewery-like objects. */
export const record = (id: number) => ({
  id,
  name: `Brewery ${id}`,
  city: 'San Diego',
  state: 'California',
  latitude: 32.7157 + id / 1e6,
  longitude: -117.1611,
  website: `https://example.com/${id}`,
})

export const POOL = Array.from({ length: 10_000 }, (_, id) => record(id))
