#!/usr/bin/env bash
# Screenshots of the main screens for the README: runs the browser tours (contact
# form's Optical tab, campaign wizard, cycle editor) in a throw-away database with
# screenshots enabled and writes the PNGs (256 colours) to docs/screenshots/.
# Needs headless Chromium (Debian's `chromium`), as the tours in `make test` do.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"

DB=${SCREENSHOTS_DB:-optical_screenshots_$(date +%Y%m%d%H%M%S)_$$}
OUT=${SCREENSHOTS_DIR:-$REPO_DIR/docs/screenshots}
HTTP_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
createdb "$DB"
mkdir -p "$OUT"

TAGS=/optical_crm:TestPartnerTabTour,/optical_crm:TestCampaignTour,/optical_crm_cycles:TestCycleTour
echo "== tours with screenshots on $DB -> $OUT"
set +e
# shellcheck disable=SC2086
OPTICAL_SCREENSHOTS="$OUT" $ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" \
  -i "$ADDONS" --test-enable --test-tags="$TAGS" --stop-after-init --max-cron-threads=0 \
  --http-port="$HTTP_PORT" --data-dir="$WORK/filestore" --log-level=info >"$WORK/odoo.log" 2>&1
rc=$?
set -e
grep -E "tour_screenshots: screenshot|odoo.tests.result| (ERROR|CRITICAL) " "$WORK/odoo.log" || true
if [ $rc -ne 0 ] || grep -qE "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$WORK/odoo.log"; then
  cp "$WORK/odoo.log" "$REPO_DIR/.test-screenshots.log"
  echo "the tours failed (exit $rc): see .test-screenshots.log" >&2
  exit 1
fi
ls -l "$OUT"/*.png
