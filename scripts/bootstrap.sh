#!/usr/bin/env bash
# Create or update .venv so it matches requirements.in + constraints.txt. Does nothing when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY_VERSION="$(cat .python-version)"

find_python() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then candidates+=("$(pyenv root)/versions/${PY_VERSION}/bin/python"); fi
  candidates+=("$HOME/.pyenv/versions/${PY_VERSION}/bin/python" "$(command -v python3.10 || true)")
  for c in "${candidates[@]}"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
      echo "$c"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  PYTHON="$(find_python)" || {
    echo "Cần Python ${PY_VERSION} (Rasa 3.6 chỉ chạy trên Python < 3.11). Cài bằng: pyenv install ${PY_VERSION}" >&2
    exit 1
  }
  echo "==> Tạo môi trường ảo .venv bằng ${PYTHON}"
  rm -rf .venv
  "$PYTHON" -m venv .venv
fi

STAMP=.venv/.thutuc-installed
WANT="$(cat requirements.in constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "==> Cài đặt thư viện (lần đầu mất khoảng 4 phút)"
  .venv/bin/python -m pip install --quiet --upgrade "pip<24"
  .venv/bin/python -m pip install --quiet -r requirements.in -c constraints.txt
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$WANT" > "$STAMP"
fi
