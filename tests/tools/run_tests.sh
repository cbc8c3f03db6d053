#!/usr/bin/env bash
# make test: a fresh throw-away database, our addons installed with Odoo's own test
# runner (--test-enable; any ERROR or CRITICAL log line fails), then the pytest-odoo
# suite against the same database; the database is dropped at the end. pytest's
# closing line is the last line printed.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"
"$PYTHON" -m pip install -q --disable-pip-version-check -r test-requirements.txt >/dev/null 2>&1 ||
  { echo "could not install test-requirements.txt with $PYTHON -m pip" >&2; exit 2; }

DB=${TEST_DB:-optical_test_$(date +%Y%m%d%H%M%S)_$$}
# Odoo serves HTTP during tests (HttpCase, tours): a free port, so runs can overlap.
HTTP_PORT=${TEST_HTTP_PORT:-$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
WORK="$REPO_DIR/.test/$DB"
mkdir -p "$WORK"
cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
createdb "$DB"

cat > "$WORK/odoo.cfg" <<CFG
[options]
addons_path = $ADDONS_PATH
db_name = $DB
db_user = $PGUSER
${PGHOST:+db_host = $PGHOST}
${PGPORT:+db_port = $PGPORT}
${PGPASSWORD:+db_password = $PGPASSWORD}
data_dir = $WORK/filestore
http_port = $HTTP_PORT
admin_passwd = admin
CFG

TAGS=${TEST_TAGS:-/optical_crm,/optical_crm_sms,/optical_crm_cycles,/optical_crm_pos}
echo "== Odoo test runner: install $ADDONS on $DB, --test-enable --test-tags=$TAGS"
set +e
$ODOO_BIN -c "$WORK/odoo.cfg" -d "$DB" -i "$ADDONS" --test-enable --test-tags="$TAGS" \
  --stop-after-init --log-level=info --max-cron-threads=0 >"$WORK/odoo.log" 2>&1
rc=$?
set -e
cp "$WORK/odoo.log" "$REPO_DIR/.test/last-odoo-test.log"
grep -E " (WARNING|ERROR|CRITICAL) |odoo.tests.stats|post-tests in|tests? .*when loading database" "$WORK/odoo.log" | grep -v "Running as user .root." | tail -n 60 || true
if [ $rc -ne 0 ] || grep -qE "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$WORK/odoo.log"; then
  echo "Odoo's test runner failed (exit $rc, or ERROR/CRITICAL in the log): see .test/last-odoo-test.log" >&2
  exit 1
fi
echo "== pytest-odoo"
export OPTICAL_TEST_DB=$DB
"$PYTHON" -m pytest -p no:cacheprovider --odoo-config="$WORK/odoo.cfg" --odoo-database="$DB" \
  ${PYTEST_ARGS:-tests} -q -r fE
