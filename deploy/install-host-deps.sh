#!/usr/bin/env bash
# Installs the Debian packages customer-pulse needs on a fresh machine:
# - build dependencies of @confluentinc/kafka-javascript (librdkafka is compiled from source,
#   because its prebuilt binary cannot be downloaded here; npm must then run with CKJS_LINKING=dynamic);
# - what the test suite uses as real peers and oracles: kcat, Prometheus and promtool,
#   Alertmanager, SciPy/pandas, an SMTP server (aiosmtpd) and headless Chromium.
# Safe to run again: packages already present are skipped.
set -euo pipefail

packages=(
  zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev pkg-config
  kcat prometheus prometheus-alertmanager python3-scipy python3-pandas python3-aiosmtpd chromium
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-host-deps: all Debian packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-host-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
