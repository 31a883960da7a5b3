#!/usr/bin/env bash
# The release tier: publishes every public package to a throwaway Verdaccio on 127.0.0.1 from a
# scratch clone of HEAD, installs them by name with npm and pnpm, releases a third-party
# connector next to them, then a core patch (scripts/registry/release.e2e.ts says each step).
# About 5-10 minutes. Needs the workspace installed (`pnpm install`) and pnpm on PATH or npx.
#
#   bash scripts/registry/run.sh            # KEEP=1 keeps the temp folder and its logs
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
tools=scripts/registry/tools

# pnpm at the version of "packageManager", as .ci/run does: the scratch clone and the
# standalone connector call `pnpm` from their scripts.
pnpm_version="$(node -p "require('./package.json').packageManager.split('@')[1]")"
if [[ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]]; then
  npm install --silent --no-audit --no-fund --prefix .ci/.tools "pnpm@$pnpm_version"
  export PATH="$PWD/.ci/.tools/node_modules/.bin:$PATH"
fi

# Verdaccio is a dependency of this tier only: its own npm project (tools/package.json and
# package-lock.json, not part of the pnpm workspace), installed here when its lockfile changed.
if ! cmp -s "$tools/package-lock.json" "$tools/node_modules/.package-lock.stamp" 2>/dev/null; then
  echo "installing Verdaccio into $tools (npm ci)"
  npm ci --silent --no-audit --no-fund --prefix "$tools"
  cp "$tools/package-lock.json" "$tools/node_modules/.package-lock.stamp"
fi

pnpm exec tsc -p scripts/registry/tsconfig.json
exec pnpm exec vitest run --config scripts/registry/vitest.config.ts
