#!/usr/bin/env bash
# gpufog start hook: starts a Jupyter container on the lease's GPUs and prints its access.
#
# The agent runs it (no shell, in the config's directory) when a lease of one of its nodes opens,
# with the lease as JSON on stdin:
#   {"event":"start","chainId":10,"escrow":"0x…","leaseId":"42","nodeId":"3","customer":"0x…",
#    "sessionKey":"0x…","start":1800000000}
# and hands what it prints (one JSON object) only to the lease's session key (POST /access).
# It may run again for the same lease (after a restart, or a failed run): it is idempotent.
#
# Needs: docker with the NVIDIA Container Toolkit, jq, openssl. Settings (environment of the agent):
#   GPUFOG_PUBLIC_HOST   the host name customers reach (default: this machine's name)
#   GPUFOG_IMAGE         the image (default: quay.io/jupyter/pytorch-notebook:cuda12-latest)
#   GPUFOG_GPUS_<node>   the GPUs of node <node>, as docker's --gpus takes them ("device=0,1");
#                        "all" if unset
#   GPUFOG_PORT_BASE     host ports are GPUFOG_PORT_BASE + node id (default 20000); open them in
#                        the firewall, or put them behind the reverse proxy with TLS
set -euo pipefail

input="$(cat)"
lease="$(jq -er '.leaseId' <<<"$input")"
node="$(jq -er '.nodeId' <<<"$input")"
[[ "$lease" =~ ^[0-9]+$ && "$node" =~ ^[0-9]+$ ]] || { echo "error: bad lease or node id" >&2; exit 2; }

name="gpufog-lease-$lease"
host="${GPUFOG_PUBLIC_HOST:-$(hostname -f)}"
image="${GPUFOG_IMAGE:-quay.io/jupyter/pytorch-notebook:cuda12-latest}"
gpus_var="GPUFOG_GPUS_$node"
gpus="${!gpus_var:-all}"
port=$(( ${GPUFOG_PORT_BASE:-20000} + node ))

if [ -z "$(docker ps -q --filter "name=^${name}$")" ]; then
  docker rm -f "$name" >/dev/null 2>&1 || true
  token="$(openssl rand -hex 24)"
  docker run -d --name "$name" \
    --gpus "$gpus" \
    --label "gpufog.lease=$lease" --label "gpufog.token=$token" \
    --restart unless-stopped \
    --memory 32g --pids-limit 4096 \
    -p "$port:8888" \
    "$image" start-notebook.py --IdentityProvider.token="$token" >/dev/null
fi
token="$(docker inspect -f '{{ index .Config.Labels "gpufog.token" }}' "$name")"

jq -n --arg url "http://$host:$port/?token=$token" --arg token "$token" --arg lease "$lease" \
  '{kind: "jupyter", url: $url, token: $token, container: ("gpufog-lease-" + $lease)}'
