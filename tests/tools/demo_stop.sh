#!/usr/bin/env bash
# Stops the server started by make demo (if any).
RUN="$(cd "$(dirname "$0")/../.." && pwd)/.demo"
if [ -f "$RUN/odoo.pid" ]; then
  pid=$(cat "$RUN/odoo.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/odoo.pid"
fi
exit 0
