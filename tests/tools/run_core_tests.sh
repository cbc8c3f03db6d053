#!/usr/bin/env bash
# Second half of make test-full: Odoo's own tests of the modules we build on
# (account, sms, mass_mailing_sms, phone_validation) in a database where our addons
# are installed, so that we know we broke none of them. Slow: not part of CI.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"
DB=optical_core_$(date +%Y%m%d%H%M%S)_$$
LOG="$REPO_DIR/.test/last-core-test.log"
mkdir -p "$REPO_DIR/.test"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT
createdb "$DB"
TAGS=${CORE_TEST_TAGS:-/account,/sms,/mass_mailing_sms,/phone_validation}
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
echo "== Odoo's own tests $TAGS beside $ADDONS on $DB"
start=$(date +%s)
set +e
$ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" --data-dir="$REPO_DIR/.test/filestore-core" \
  -i "$ADDONS" --test-enable --test-tags="$TAGS" --stop-after-init --max-cron-threads=0 \
  --http-port="$(free_port)" --log-level=info >"$LOG" 2>&1
rc=$?
set -e
grep -E "odoo.tests.stats|tests? .*when loading database|post-tests in|at_install tests" "$LOG" | tail -n 20 || true
echo "wall time: $(( $(date +%s) - start )) s; log: .test/last-core-test.log"
failed=$(grep -oE "odoo\.addons\.[a-z_]+\.tests\.[a-z_0-9]+: (FAIL|ERROR): [A-Za-z0-9_]+\.[A-Za-z0-9_]+" "$LOG" |
  sed -E 's/^odoo\.addons\.([a-z_]+)\.tests\.[a-z_0-9]+: (FAIL|ERROR): /\/\1:/' | sort -u | paste -sd, -)
if [ $rc -eq 0 ] && [ -z "$failed" ] && ! grep -qE "^[0-9-]+ [0-9:,]+ [0-9]+ CRITICAL " "$LOG"; then
  echo "Odoo's own tests of $TAGS passed beside our addons"
  exit 0
fi
if [ -z "$failed" ]; then
  grep -E " (ERROR|CRITICAL) " "$LOG" | head -n 40
  echo "Odoo's own tests failed beside our addons (exit $rc)" >&2
  exit 1
fi
# Some failed: are they ours? The same tests on a database with the same modules but
# without our addons tell (a core test that fails there too fails for another reason,
# e.g. a year hard-coded in the test).
echo "== failing beside our addons: $failed; re-running them without our addons"
STOCK=optical_stock_$$
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1; dropdb --if-exists "$STOCK" >/dev/null 2>&1 || true' EXIT
createdb "$STOCK"
$ODOO_BIN -d "$STOCK" $DB_ARGS --addons-path="$ADDONS_PATH" --data-dir="$REPO_DIR/.test/filestore-core" \
  -i account,contacts,mass_mailing_sms,phone_validation,sms --test-enable --test-tags="$failed" \
  --stop-after-init --max-cron-threads=0 --http-port="$(free_port)" --log-level=info >"$LOG.stock" 2>&1 || true
ours=
for spec in ${failed//,/ }; do
  t=${spec#*:}
  if ! grep -qE "Starting $t \.\.\." "$LOG.stock"; then
    echo "  could not be re-run without our addons (see $LOG.stock): $spec"
    ours="$ours $spec"
  elif grep -qE "(FAIL|ERROR): $t\b" "$LOG.stock"; then
    echo "  also fails without our addons (not ours): $spec"
  else
    echo "  passes without our addons (OURS): $spec"
    ours="$ours $spec"
  fi
done
if [ -n "$ours" ]; then
  echo "Odoo's own tests broken by our addons:$ours" >&2
  exit 1
fi
echo "Odoo's own tests of $TAGS pass beside our addons, but for failures that happen without them too"
