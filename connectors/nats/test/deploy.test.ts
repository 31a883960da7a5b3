// The deployment sketches in deploy/ are not run (no docker or Kubernetes here): they must at
// least parse, and give every worker a distinct role and replica id.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'

const read = (name: string) => readFileSync(new URL(`../deploy/${name}`, import.meta.url), 'utf8')

interface ComposeService {
  readonly image?: string
  readonly command?: string | readonly string[]
}

describe('deploy/', () => {
  it('docker-compose.yml parses; each worker runs one distinct (role, replica)', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, ComposeService>
    }
    const workers = Object.entries(compose.services)
      .filter(([, service]) => typeof service.command === 'string')
      .filter(([, service]) => (service.command as string).split(' ').includes('run'))
      .map(([name, service]) => {
        const command = (service.command as string).split(' ')
        const option = (flag: string) => command[command.indexOf(flag) + 1]
        expect(service.image, name).toBe('my-pipeline:latest')
        return `${option('--role')}-${option('--replica')}`
      })
    expect(workers).toEqual(['fetch-0', 'enrich-0', 'enrich-1', 'store-0'])
    expect(compose.services.nats?.image).toMatch(/^nats:2\.1\d/)
  })

  it('kubernetes.yaml parses; a StatefulSet per role, its ordinal the replica id', () => {
    const documents = parseAllDocuments(read('kubernetes.yaml'))
    for (const document of documents) expect(document.errors).toEqual([])
    const manifests = documents.map((document) => document.toJS()) as {
      kind: string
      metadata: { name: string }
      spec?: {
        replicas?: number
        selector?: { matchLabels: Record<string, string> }
        template?: {
          metadata: { labels: Record<string, string> }
          spec: { containers: { env?: { name: string; value?: string }[]; args?: string[] }[] }
        }
      }
    }[]
    const roles = manifests
      .filter((each) => each.kind === 'StatefulSet' && each.metadata.name.startsWith('graphflow-'))
      .map((each) => {
        const role = each.metadata.name.slice('graphflow-'.length)
        const container = each.spec?.template?.spec.containers[0]
        expect(each.spec?.template?.metadata.labels).toEqual(each.spec?.selector?.matchLabels)
        expect(each.spec?.selector?.matchLabels.role).toBe(role)
        expect(container?.env?.find((env) => env.name === 'ROLE')?.value).toBe(role)
        expect(container?.args?.[0]).toMatch(/--role "\$ROLE"\s+--replica "\$\{POD_NAME##\*-\}"/)
        return [role, each.spec?.replicas]
      })
    expect(roles).toEqual([
      ['fetch', 1],
      ['enrich', 4],
      ['store', 1],
    ])
  })
})
