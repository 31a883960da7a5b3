import { graphflowLinear } from './linear.js'

for (let i = 0; i < 4; i++) {
  const t = performance.now()
  await graphflowLinear(1_000_000)
  console.log(Math.round(1e9 / (performance.now() - t)).toLocaleString())
}
