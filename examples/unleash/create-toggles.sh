#!/bin/sh
# Creates every AlertAgent flag as an Unleash toggle in the default project, off, with a
# flexible rollout whose constraints can target AlertAgent's context fields (cluster, team,
# severity). Safe to run again: what exists is left as it is.
set -eu
UNLEASH=${UNLEASH:-http://localhost:4242}
TOKEN=${UNLEASH_ADMIN_TOKEN:-'*:*.unleash-admin-token-change-me'}
ENVIRONMENT=${UNLEASH_ENVIRONMENT:-production}

api() { curl -sS -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: $TOKEN" -H 'Content-Type: application/json' "$UNLEASH/api/admin$2" ${3:+-d "$3"}; }

for field in cluster team severity; do
  echo "context field $field: $(api POST /context "{\"name\":\"$field\"}")"
done

for flag in gateway.convergence analysis.enabled gateway.advanced-convergence gateway.grouping gateway.maintenance \
            analysis.escalation analysis.remediation routing.smart routing.learning gateway.inhibition; do
  echo "toggle $flag: $(api POST /projects/default/features "{\"name\":\"$flag\",\"type\":\"release\"}")"
  echo "  strategy: $(api POST "/projects/default/features/$flag/environments/$ENVIRONMENT/strategies" \
    "{\"name\":\"flexibleRollout\",\"parameters\":{\"rollout\":\"100\",\"stickiness\":\"default\",\"groupId\":\"$flag\"},\"constraints\":[]}")"
done
echo "Toggles are off; switch them on in the Unleash UI ($UNLEASH) or with"
echo "  curl -X POST -H \"Authorization: \$TOKEN\" $UNLEASH/api/admin/projects/default/features/<flag>/environments/$ENVIRONMENT/on"
