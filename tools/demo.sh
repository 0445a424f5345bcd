#!/usr/bin/env bash
# Installs dependencies, builds dpopfleet and runs its demo: an embedded reference realm,
# a client registered through the email-verified flow, and a fleet of DPoP-bound agents.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
tools/build.sh release
exec build/dpopfleet demo "$@"
