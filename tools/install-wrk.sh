#!/usr/bin/env bash
# Installs wrk (the HTTP load generator the benchmarks use) from Debian's packages when missing.
set -euo pipefail
command -v wrk >/dev/null && exit 0
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null
