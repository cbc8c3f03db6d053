# shellcheck shell=bash
# Sourced by the Makefile's scripts: finds PostgreSQL and Odoo 18.0, or stops with one
# clear line saying what is missing and what to set. Odoo: the one `import odoo` finds
# for $PYTHON, or ODOO_PATH; with neither, tests/tools/bootstrap_odoo.sh fetches it into
# .odoo/ with its own .venv/ (reused by later runs) and PYTHON becomes .venv/bin/python.
# Exports PYTHON, ODOO_PATH, ODOO_BIN, ADDONS_PATH and DB_ARGS.
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
# PostgreSQL: the local socket by default (PGHOST/PGPORT/PGUSER as libpq reads them).
PGUSER=${PGUSER:-$(id -un)}
export PGUSER
DB_ARGS="--db_user=$PGUSER"
[ -n "${PGHOST:-}" ] && DB_ARGS="$DB_ARGS --db_host=$PGHOST"
[ -n "${PGPORT:-}" ] && DB_ARGS="$DB_ARGS --db_port=$PGPORT"
[ -n "${PGPASSWORD:-}" ] && DB_ARGS="$DB_ARGS --db_password=$PGPASSWORD"
if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  why="psql -d postgres failed"
  command -v psql >/dev/null 2>&1 || why="psql not found"
  echo "PostgreSQL not reachable as '$PGUSER' ($why). To install and start it on Debian/Ubuntu:
  sudo apt-get install -y postgresql && sudo service postgresql start && sudo -u postgres createuser --createdb '$PGUSER'
or point at a running server with PGHOST/PGPORT/PGUSER/PGPASSWORD (Odoo refuses the 'postgres' role)." >&2
  exit 2
fi
if [ "$PGUSER" = "postgres" ]; then
  echo "PostgreSQL role is 'postgres', which Odoo refuses: set PGUSER to another role with CREATEDB." >&2
  exit 2
fi
odoo_root() { "$PYTHON" -c 'import os, odoo; print(os.path.dirname(os.path.dirname(odoo.__file__)))' 2>/dev/null; }
if [ -z "${ODOO_PATH:-}" ]; then
  ODOO_PATH=$(odoo_root) || ODOO_PATH=
  if [ -z "$ODOO_PATH" ]; then
    PYTHON="$PYTHON" "$REPO_DIR/tests/tools/bootstrap_odoo.sh" || exit $?
    PYTHON="$REPO_DIR/.venv/bin/python"
    ODOO_PATH=$(odoo_root) || ODOO_PATH=
  fi
fi
if [ -z "$ODOO_PATH" ] || [ ! -d "$ODOO_PATH/odoo" ]; then
  echo "Odoo 18.0 not found at ODOO_PATH='$ODOO_PATH': set ODOO_PATH=/path/to/odoo (the folder holding odoo-bin), or unset it (make then fetches Odoo into .odoo/)." >&2
  exit 2
fi
ODOO_VERSION=$(cd "$ODOO_PATH" && "$PYTHON" -c 'import odoo.release as r; print(r.serie)' 2>/dev/null)
if [ "$ODOO_VERSION" != "18.0" ]; then
  echo "Odoo at $ODOO_PATH is '${ODOO_VERSION:-unreadable}', not 18.0: set ODOO_PATH to an Odoo 18.0 Community checkout." >&2
  exit 2
fi
if [ -f "$ODOO_PATH/odoo-bin" ]; then ODOO_BIN="$PYTHON $ODOO_PATH/odoo-bin"; else ODOO_BIN="$PYTHON -m odoo"; fi
ADDONS_PATH="$ODOO_PATH/odoo/addons,$ODOO_PATH/addons,$REPO_DIR"
ADDONS="optical_crm,optical_crm_sms,optical_crm_cycles,optical_crm_pos"
export PYTHON ODOO_PATH ODOO_BIN ADDONS_PATH DB_ARGS ADDONS REPO_DIR
