# shellcheck shell=bash
# Sourced by the Makefile's scripts: finds Odoo 18.0 and PostgreSQL, or stops with one
# clear line saying what is missing and what to set. Exports PYTHON, ODOO_PATH,
# ODOO_BIN, ADDONS_PATH and DB_ARGS.
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
if [ -z "${ODOO_PATH:-}" ]; then
  ODOO_PATH=$("$PYTHON" -c 'import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))' 2>/dev/null) || ODOO_PATH=
fi
if [ -z "$ODOO_PATH" ] || [ ! -d "$ODOO_PATH/odoo" ]; then
  echo "Odoo 18.0 not found: make 'import odoo' work for $PYTHON, or set ODOO_PATH=/path/to/odoo (the folder holding odoo-bin)." >&2
  exit 2
fi
ODOO_VERSION=$(cd "$ODOO_PATH" && "$PYTHON" -c 'import odoo.release as r; print(r.serie)' 2>/dev/null)
if [ "$ODOO_VERSION" != "18.0" ]; then
  echo "Odoo at $ODOO_PATH is '${ODOO_VERSION:-unreadable}', not 18.0: set ODOO_PATH to an Odoo 18.0 Community checkout." >&2
  exit 2
fi
if [ -f "$ODOO_PATH/odoo-bin" ]; then ODOO_BIN="$PYTHON $ODOO_PATH/odoo-bin"; else ODOO_BIN="$PYTHON -m odoo"; fi
ADDONS_PATH="$ODOO_PATH/odoo/addons,$ODOO_PATH/addons,$REPO_DIR"
# PostgreSQL: the local socket by default (PGHOST/PGPORT/PGUSER as libpq reads them).
PGUSER=${PGUSER:-$(id -un)}
export PGUSER
DB_ARGS="--db_user=$PGUSER"
[ -n "${PGHOST:-}" ] && DB_ARGS="$DB_ARGS --db_host=$PGHOST"
[ -n "${PGPORT:-}" ] && DB_ARGS="$DB_ARGS --db_port=$PGPORT"
[ -n "${PGPASSWORD:-}" ] && DB_ARGS="$DB_ARGS --db_password=$PGPASSWORD"
if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "PostgreSQL not reachable as '$PGUSER' (set PGHOST/PGPORT/PGUSER/PGPASSWORD; Odoo refuses the 'postgres' role)." >&2
  exit 2
fi
if [ "$PGUSER" = "postgres" ]; then
  echo "PostgreSQL role is 'postgres', which Odoo refuses: set PGUSER to another role with CREATEDB." >&2
  exit 2
fi
ADDONS="optical_crm,optical_crm_sms,optical_crm_cycles"
export PYTHON ODOO_PATH ODOO_BIN ADDONS_PATH DB_ARGS ADDONS REPO_DIR
