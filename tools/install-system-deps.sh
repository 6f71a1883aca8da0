#!/usr/bin/env bash
# Installs the Debian packages the engine and its tests need, only when something is missing,
# so a fresh machine needs nothing by hand and a prepared one pays nothing.
set -euo pipefail

packages=(liblmdb-dev lmdb-utils libssl-dev libargon2-dev libcurl4-openssl-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "installing system packages: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
