#!/usr/bin/env bash
# make i18n: install the addons in a throw-away database, export each addon's .pot,
# merge it into it.po (new entries come in empty, for translation by hand), drop the
# database. i18n/check_po.py then tells what is left to translate.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"
DB=optical_i18n_$$
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT
createdb "$DB"
$ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" -i "$ADDONS" --without-demo=all \
  --stop-after-init --max-cron-threads=0 --log-level=warn
for addon in ${ADDONS//,/ }; do
  pot="$addon/i18n/$addon.pot"
  $ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" --i18n-export="$pot" \
    --modules="$addon" --stop-after-init --log-level=warn
  if [ -f "$addon/i18n/it.po" ]; then
    msgmerge --quiet --no-fuzzy-matching --no-wrap --update --backup=none "$addon/i18n/it.po" "$pot"
    msgattrib --no-obsolete --no-wrap -o "$addon/i18n/it.po" "$addon/i18n/it.po"
  else
    msginit --no-translator --no-wrap --locale=it_IT --input="$pot" --output-file="$addon/i18n/it.po" 2>/dev/null
  fi
done
"$PYTHON" i18n/check_po.py || true
