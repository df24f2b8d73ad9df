#!/usr/bin/env bash
# gpufog end hook: removes the lease's container. The agent runs it when the lease closes, is
# finalized, or goes unpaid (two receipt intervals past what the customer signed for), with the
# lease as JSON on stdin, including "reason" and the "access" the start hook printed:
#   {"event":"end","leaseId":"42","nodeId":"3","reason":"unpaid","access":{…},…}
# It may run again for the same lease: removing a container that is gone is not an error.
# Needs: docker, jq.
set -euo pipefail

lease="$(jq -er '.leaseId')"
[[ "$lease" =~ ^[0-9]+$ ]] || { echo "error: bad lease id" >&2; exit 2; }
docker rm -f "gpufog-lease-$lease" >/dev/null 2>&1 || true
echo '{}'
