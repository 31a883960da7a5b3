#!/usr/bin/env bash
# Packs every publishable package the way `pnpm publish` would (workspace: ranges rewritten)
# and checks each tarball with publint, are-the-types-wrong (ESM only) and
# scripts/registry/check-tarball.mjs (dist/ built by prepack, source maps name shipped sources).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for dir in packages/* connectors/*; do
  [[ -f "$dir/package.json" ]] || continue
  if [[ "$(node -p "require('./$dir/package.json').private === true")" == "true" ]]; then continue; fi
  name="$(node -p "require('./$dir/package.json').name")"
  echo "-- $name"
  (cd "$dir" && pnpm pack --pack-destination "$out" >/dev/null)
  tarball="$(ls -t "$out"/*.tgz | head -1)"
  pnpm exec publint run --strict "$tarball"
  pnpm exec attw --profile esm-only --format table-flipped "$tarball"
  node scripts/registry/check-tarball.mjs "$tarball"
done
