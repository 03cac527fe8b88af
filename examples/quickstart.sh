#!/usr/bin/env bash
# Talks to a local AlertAgent started with `npm start` (embedded mode).
# Usage: examples/quickstart.sh [http://localhost:4000/graphql]
# The token: ALERTAGENT_TOKEN if set, else the initial admin token the embedded mode wrote to
# $DATA_DIR/initial-admin-token (DATA_DIR defaults to ./data, as for `npm start`).
set -euo pipefail
URL=${1:-http://localhost:4000/graphql}
TOKEN_FILE="${DATA_DIR:-./data}/initial-admin-token"
if [ -n "${ALERTAGENT_TOKEN:-}" ]; then
  TOKEN=$ALERTAGENT_TOKEN
elif [ -r "$TOKEN_FILE" ]; then
  TOKEN=$(cat "$TOKEN_FILE")
else
  echo "no token: set ALERTAGENT_TOKEN=<an admin token> (alertagent token create --name me --role admin)," >&2
  echo "or DATA_DIR to the directory of the server whose initial-admin-token to use (looked in $TOKEN_FILE)" >&2
  exit 2
fi

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
