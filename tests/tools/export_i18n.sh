#!/usr/bin/env bash
# make i18n: install the addons in a throw-away database, export each addon's .pot,
# merge it into it.po (new entries come in empty, for translation by hand), drop the
# database. i18n/check_po.py then tells what is left to translate.
# I18N_DB=name picks the throw-away database's name.
set -euo pipefail
# shellcheck source=tests/tools/odoo_env.sh
source "$(dirname "$0")/odoo_env.sh"
cd "$REPO_DIR"
DB=${I18N_DB:-optical_i18n_$$}
LOG=$(mktemp)
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -f "$LOG"' EXIT
createdb "$DB"
$ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" -i "$ADDONS" --without-demo=all \
  --stop-after-init --max-cron-threads=0 --log-level=warn
for addon in ${ADDONS//,/ }; do
  pot="$addon/i18n/$addon.pot"
  # Odoo logs a source file it cannot parse (e.g. an f-string inside _()) and goes on
  # without that file's terms: such an export is refused.
  $ODOO_BIN -d "$DB" $DB_ARGS --addons-path="$ADDONS_PATH" --i18n-export="$pot" \
    --modules="$addon" --stop-after-init --log-level=warn 2>&1 | tee "$LOG"
  if grep -Eq " (ERROR|CRITICAL) " "$LOG"; then
    echo "export of $addon logged errors (see above): $pot is incomplete, it.po left as it was" >&2
    git checkout -- "$pot" 2>/dev/null || true
    exit 1
  fi
  if [ -f "$addon/i18n/it.po" ]; then
    msgmerge --quiet --no-fuzzy-matching --no-wrap --update --backup=none "$addon/i18n/it.po" "$pot"
    msgattrib --no-obsolete --no-wrap -o "$addon/i18n/it.po" "$addon/i18n/it.po"
  else
    msginit --no-translator --no-wrap --locale=it_IT --input="$pot" --output-file="$addon/i18n/it.po" 2>/dev/null
  fi
done
"$PYTHON" i18n/check_po.py || true
