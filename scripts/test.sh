#!/usr/bin/env bash
# The whole test suite: install, validate training data, train (cached), then pytest — unit, knowledge base on
# SQLite and PostgreSQL, NLU evaluation with thresholds, test stories, end-to-end conversations and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
scripts/bootstrap.sh

if [ ! -x /usr/bin/chromium ]; then
  echo "==> Cài Chromium cho kiểm thử trình duyệt"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ ! -x /usr/sbin/nginx ]; then
  echo "==> Cài nginx cho kiểm thử cụm máy chủ (tests/fleet)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi

if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
  echo "==> Cài docker-compose để kiểm tra tệp compose (tests/deploy)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Only the validator (Debian's docker-compose 1.29): no Docker daemon is needed or installed.
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi

echo "==> Huấn luyện mô hình (bỏ qua nếu dữ liệu không đổi)"
.venv/bin/thutuc train

echo "==> Kiểm tra dữ liệu huấn luyện"
.venv/bin/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

echo "==> Chạy kiểm thử"
exec .venv/bin/pytest "$@"
