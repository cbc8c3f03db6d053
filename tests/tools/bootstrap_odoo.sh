#!/usr/bin/env bash
# Fetches Odoo 18.0 Community for the Makefile's commands when none is at hand
# (odoo_env.sh calls it only when `import odoo` fails for $PYTHON and ODOO_PATH is
# unset): a shallow clone of branch 18.0 of ODOO_SRC (a git URL or a local path;
# default Odoo's public repository) into .odoo/, a virtual environment .venv/ made
# with $PYTHON, Odoo's Python requirements (but python-ldap, needed by the auth_ldap
# addon only) and ours installed into it, and .odoo/ importable there. Each half is
# marked complete at its very end only (a marker file), so an interrupted run is seen
# and redone, and a complete one reused. `make clean-odoo` removes both.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
ODOO_SRC=${ODOO_SRC:-https://github.com/odoo/odoo.git}
BRANCH=18.0
ODOO_DIR="$REPO_DIR/.odoo"
VENV="$REPO_DIR/.venv"
CLONE_DONE="$ODOO_DIR/.fetch-complete" # holds the commit fetched
VENV_DONE="$VENV/.install-complete"     # holds the commit of .odoo/ it was made for
APT_BUILD="sudo apt-get install -y build-essential python3-dev libpq-dev libxml2-dev libxslt1-dev libldap2-dev libsasl2-dev"

say() { echo "== $*"; }
fail() {
  echo "$*" >&2
  exit 2
}

# One set-up at a time per checkout (two commands started together wait for each other).
if command -v flock >/dev/null 2>&1; then
  exec 9<"$0"
  flock 9
fi

# its marker first: a removal cut short never leaves a marked half
discard() {
  rm -f "$1/.fetch-complete" "$1/.install-complete"
  rm -rf "$1"
}
commit() { cut -c1-10 "$CLONE_DONE"; }
clone_ok() { [ -f "$CLONE_DONE" ] && [ -f "$ODOO_DIR/odoo-bin" ]; }
venv_ok() {
  [ -f "$VENV_DONE" ] && [ "$(cat "$VENV_DONE")" = "$(cat "$CLONE_DONE")" ] &&
    "$VENV/bin/python" -c '' 2>/dev/null
}

if clone_ok && venv_ok; then
  say "Odoo 18.0: reusing .odoo/ and .venv/ (make clean-odoo removes them)"
  exit 0
fi

say "Odoo 18.0 is not importable by $PYTHON and ODOO_PATH is not set: setting it up in .odoo/ and .venv/ (once)"
pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) ||
  fail "Python not found ('$PYTHON' does not run): install Python 3.10, 3.11 or 3.12 (Debian/Ubuntu: sudo apt-get install -y python3 python3-venv), or set PYTHON=/path/to/python3.X."
case $pyver in
  3.10 | 3.11 | 3.12) ;;
  *) fail "Python $pyver ($PYTHON) cannot run Odoo 18.0, which needs Python 3.10, 3.11 or 3.12: install one of them and set PYTHON=/path/to/python3.X (or point at an existing Odoo, see README)." ;;
esac

# 1. the clone
if clone_ok; then
  say "[1/3] Odoo 18.0 already in .odoo/ (commit $(commit))"
else
  if [ -e "$ODOO_DIR" ]; then
    say "[1/3] .odoo/ was left by an interrupted fetch: removing it"
    discard "$ODOO_DIR"
  fi
  command -v git >/dev/null 2>&1 ||
    fail "git not found, needed to fetch Odoo 18.0: install it (Debian/Ubuntu: sudo apt-get install -y git), or point at an existing Odoo (ODOO_PATH, see README)."
  src=$ODOO_SRC
  # a local path through file://, else git ignores --depth and copies the whole history
  if [ -d "$src" ]; then src="file://$(cd "$src" && pwd)"; fi
  say "[1/3] cloning branch $BRANCH of $ODOO_SRC into .odoo/ (shallow)"
  if ! git -c advice.detachedHead=false clone --depth 1 --single-branch --branch "$BRANCH" "$src" "$ODOO_DIR"; then
    discard "$ODOO_DIR"
    fail "could not clone branch $BRANCH of $ODOO_SRC (git's message above): no network, or not a git repository with a $BRANCH branch. Check the connection, or set ODOO_SRC to a reachable git URL or a local clone of Odoo, or point at an existing Odoo (ODOO_PATH, see README)."
  fi
  serie=$("$PYTHON" -c 'import sys; ns = {}; exec(open(sys.argv[1]).read(), ns); print(ns["serie"])' \
    "$ODOO_DIR/odoo/release.py" 2>/dev/null) || serie=
  if [ ! -f "$ODOO_DIR/odoo-bin" ] || [ "$serie" != "18.0" ]; then
    discard "$ODOO_DIR"
    fail "branch $BRANCH of $ODOO_SRC is not Odoo 18.0 (no odoo-bin, or odoo/release.py says '${serie:-nothing}'): set ODOO_SRC to Odoo's repository or a clone of it."
  fi
  git -C "$ODOO_DIR" rev-parse HEAD >"$CLONE_DONE"
fi

# 2. the virtual environment, made for this commit of .odoo/
if venv_ok; then
  say "[2/3] .venv/ already set up for this commit of .odoo/"
  say "Odoo 18.0 ready: .odoo/ (commit $(commit)), Python .venv/bin/python"
  exit 0
fi
if [ -e "$VENV" ]; then
  say "[2/3] .venv/ was left by an interrupted set-up, or made for another .odoo/: removing it"
  discard "$VENV"
fi
say "[2/3] creating .venv/ with $PYTHON (Python $pyver)"
if ! out=$("$PYTHON" -m venv "$VENV" 2>&1); then
  discard "$VENV"
  echo "$out" >&2
  fail "could not create a virtual environment with $PYTHON (above): on Debian/Ubuntu install its venv module, sudo apt-get install -y python3-venv (python$pyver-venv for a Python other than the default one)."
fi

# 3. the requirements: Odoo's (but python-ldap, which needs LDAP's C libraries and
# serves only auth_ldap) and ours, in one resolution so that ours keep Odoo's pins.
# setuptools<70 through PIP_CONSTRAINT, which reaches the isolated builds too: some of
# Odoo's pins are old source packages that newer setuptools cannot build.
grep -viE '^[[:space:]]*python-ldap([^a-z0-9_.-]|$)' "$ODOO_DIR/requirements.txt" >"$VENV/odoo-requirements.txt" || true
constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
echo 'setuptools<70' >"$constraints"
log="$VENV/pip.log"
say "[3/3] installing Odoo's Python requirements and ours into .venv/ (a few minutes; log .venv/pip.log)"
if ! PIP_CONSTRAINT="${PIP_CONSTRAINT:+$PIP_CONSTRAINT }$constraints" "$VENV/bin/python" -m pip install \
  --disable-pip-version-check --progress-bar off \
  -r "$VENV/odoo-requirements.txt" -r "$REPO_DIR/requirements.txt" 2>&1 | tee "$log" |
  while IFS= read -r line; do
    line=${line#"${line%%[! ]*}"}
    case $line in "Collecting "* | "Building wheel for "*) echo "   ${line%% (*}" ;; esac
  done; then
  culprit=$(grep -oE '(Failed to build|Failed building wheel for) [^ ].*' "$log" | sed -E 's/^Failed (to build|building wheel for) //' | sort -u | paste -sd' ' -) || true
  if [ -z "$culprit" ]; then
    culprit=$(awk '/^Collecting /{c=$2} /did not run successfully|subprocess-exited-with-error/{print c; exit}' "$log") || true
  fi
  if grep -qiE "pg_config|libpq-fe\.h|libxml/|libxslt/|xslt-config|xml2-config|lber\.h|ldap\.h|sasl/sasl\.h|Python\.h|command '[^']*gcc' failed|gcc: (command )?not found|No such file or directory: '[^']*gcc'|unable to execute '[^']*gcc'" "$log"; then
    fail "Odoo's requirements need system libraries to build ${culprit:+($culprit) }that this machine lacks. On Debian/Ubuntu install them:
  $APT_BUILD
then run the command again (pip's log: .venv/pip.log)."
  fi
  if grep -qiE 'Failed to establish a new connection|Temporary failure in name resolution|Network is unreachable|ConnectionError|ReadTimeoutError|No matching distribution found' "$log"; then
    fail "pip could not download Odoo's requirements ${culprit:+($culprit) }from the package index: no network? (pip's log: .venv/pip.log). Run the command again once connected."
  fi
  tail -n 25 "$log" >&2
  fail "pip could not install Odoo's requirements ${culprit:+($culprit) }(above; pip's log: .venv/pip.log). If a package failed to build, on Debian/Ubuntu: $APT_BUILD"
fi
site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$ODOO_DIR" >"$site/odoo-checkout.pth"
cp "$CLONE_DONE" "$VENV_DONE"
say "Odoo 18.0 ready: .odoo/ (commit $(commit)), Python .venv/bin/python"
