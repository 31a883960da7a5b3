import { describeSinkConformance, describeSourceConformance } from '@graphflow/testkit'
import { __CAMEL__Sink } from './__NAME__-sink.js'
import { __CAMEL__Source } from './__NAME__-source.js'

interface Row {
  id: number
}

describeSourceConformance({
  name: '__CAMEL__Source',
  make: () => ({
    spec: __CAMEL__Source({ fetchPage: (page) => (page <= 3 ? [{ id: page }] : []) }),
    expected: 3,
  }),
  // A case that cannot hold for a connector is skipped with a reason, which the test report shows:
  // skip: [{ test: 'rerun', reason: 'the API hands out a one-time export link' }],
})

describeSinkConformance<Row>({
  name: '__CAMEL__Sink',
  make: () => {
    const stored: Row[] = []
    const spec = __CAMEL__Sink<Row>({ send: (batch) => void stored.push(...batch), batchSize: 3 })
    return { spec, read: () => stored }
  },
  items: () => [1, 2, 3, 4, 5, 6, 7].map((id) => ({ id })),
  badItem: { item: 'not a record' as unknown as Row, message: /expected a record/ },
})
