import type { HttpPageInfo, HttpRetryInfo } from '@graphflow/http'

/** The API's page number of a request (its `page` parameter). */
function apiPage(url: string): number {
  return Number(new URL(url).searchParams.get('page'))
}

const waited = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)}s`)

function shortReason(info: HttpRetryInfo): string {
  if (info.status !== undefined) {
    const after = info.retryAfter === undefined ? '' : ` Retry-After ${info.retryAfter / 1000}s`
    return `HTTP ${info.status}${after}`
  }
  if (info.reason === 'timeout') return 'timeout'
  return info.error.length > 40 ? `${info.error.slice(0, 39)}…` : info.error
}

/**
 * Gathers the retries of each page and tells them in one short line once the page came in,
 * instead of a long line per retry: `page 4: 3 attempts (HTTP 503, socket hang up), waited 1.2s`.
 */
export function retryNotes(log: (line: string) => void): {
  onRetry(info: HttpRetryInfo): void
  onPage(info: HttpPageInfo): void
} {
  const pending = new Map<number, { reasons: string[]; waitedMs: number }>()
  return {
    onRetry(info) {
      const page = apiPage(info.url)
      const note = pending.get(page) ?? { reasons: [], waitedMs: 0 }
      note.reasons.push(shortReason(info))
      note.waitedMs += info.delay
      pending.set(page, note)
    },
    onPage(info) {
      const page = apiPage(info.url)
      const note = pending.get(page)
      if (!note) return
      pending.delete(page)
      log(
        `page ${page}: ${info.attempts} attempts (${note.reasons.join(', ')}), waited ${waited(note.waitedMs)}`,
      )
    },
  }
}
