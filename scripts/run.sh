#!/usr/bin/env bash
# Run the assistant on its embedded defaults (SQLite, no external services).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/thutuc run
