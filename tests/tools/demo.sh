#!/usr/bin/env bash
# make demo: database optical_demo with the three addons, Italian active, demo data,
# served at http://localhost:8069 (admin / admin) in the background. Running it again
# updates the addons and restarts the server; it never duplicates data.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"
"$PYTHON" -m pip install -q --disable-pip-version-check -r requirements.txt >/dev/null 2>&1 ||
  { echo "could not install requirements.txt with $PYTHON -m pip" >&2; exit 2; }
DB=${DEMO_DB:-optical_demo}
PORT=${DEMO_PORT:-8069}
RUN="$REPO_DIR/.demo"
mkdir -p "$RUN"
cat > "$RUN/odoo.cfg" <<CFG
[options]
addons_path = $ADDONS_PATH
db_name = $DB
dbfilter = ^$DB\$
db_user = $PGUSER
${PGHOST:+db_host = $PGHOST}
${PGPORT:+db_port = $PGPORT}
${PGPASSWORD:+db_password = $PGPASSWORD}
data_dir = $RUN/filestore
http_port = $PORT
admin_passwd = admin
CFG
"$REPO_DIR/tests/tools/demo_stop.sh"
if psql -d "$DB" -Atc "select 1 from ir_module_module where name='optical_crm' and state='installed'" 2>/dev/null | grep -q 1; then
  echo "== updating $ADDONS in $DB"
  $ODOO_BIN -c "$RUN/odoo.cfg" -d "$DB" -u "$ADDONS" --load-language=it_IT --stop-after-init \
    --max-cron-threads=0 >"$RUN/update.log" 2>&1 || { tail -n 30 "$RUN/update.log"; exit 1; }
else
  psql -d postgres -Atc "select 1 from pg_database where datname='$DB'" | grep -q 1 || createdb "$DB"
  echo "== installing $ADDONS in $DB with demo data and Italian (a few minutes)"
  $ODOO_BIN -c "$RUN/odoo.cfg" -d "$DB" -i "$ADDONS" --load-language=it_IT --stop-after-init \
    --max-cron-threads=0 >"$RUN/install.log" 2>&1 || { tail -n 30 "$RUN/install.log"; exit 1; }
fi
# Italian and Rome time for the admin user and the shop's partner (idempotent).
psql -d "$DB" -qc "update res_partner set lang='it_IT', tz='Europe/Rome' where id in (select partner_id from res_users where login='admin' union select partner_id from res_company)" >/dev/null
nohup $ODOO_BIN -c "$RUN/odoo.cfg" --logfile="$RUN/server.log" >/dev/null 2>&1 &
echo $! >"$RUN/odoo.pid"
for _ in $(seq 1 120); do
  if curl -s -o /dev/null -w '%{http_code}' "http://localhost:$PORT/web/login" 2>/dev/null | grep -q 200; then
    echo "Optical CRM demo: http://localhost:$PORT (admin / admin), database $DB; stop it with make demo-stop"
    exit 0
  fi
  sleep 1
done
echo "the demo server did not answer on port $PORT: see $RUN/server.log" >&2
exit 1
