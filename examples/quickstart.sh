#!/usr/bin/env bash
# Talks to a local AlertAgent started with `npm start` (embedded mode, ./data).
# Usage: examples/quickstart.sh [http://localhost:4000/graphql]
set -euo pipefail
URL=${1:-http://localhost:4000/graphql}
TOKEN=${ALERTAGENT_TOKEN:-$(cat data/initial-admin-token)}

gql() {
  curl -sS "$URL" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
    --data "$(printf '{"query": %s}' "$(printf '%s' "$1" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")"
  echo
}

echo '# health (public)'
curl -sS "$URL" -H 'content-type: application/json' --data '{"query":"{ health { status mode } version { version } }"}'; echo
echo '# flags'
gql '{ flags { name enabled source phase } }'
echo '# a read-only token for a dashboard'
gql 'mutation { createApiToken(input: { name: "dashboard", role: VIEWER, expiresInDays: 30 }) { token apiToken { id prefix } } }'
echo '# the audit trail'
gql '{ auditEvents(limit: 5) { total items { createdAt actor action } } }'
