"""tests/tools/bootstrap_odoo.sh: the Odoo 18.0 that make demo / make test fetch into
.odoo/ with its own .venv/ when none is at hand, checked offline on a copy of the
project's scripts against a stand-in Odoo repository made here (odoo-bin,
odoo/release.py, requirements.txt) and a Python that cannot import odoo."""

import os
import shutil
import socket
import subprocess
import sys

import pytest

from .conftest import REPO

RELEASE = "version_info = (18, 0, 0, 'final', 0, '')\nserie = '18.0'\n"
# python-ldap is left out by the bootstrap: with PIP_NO_INDEX it could not install.
ODOO_REQUIREMENTS = "# stand-in\npython-ldap==3.4.0 ; sys_platform != 'win32'\n"
# A package whose wheel fails to build as psycopg2's does without libpq-dev; its
# in-tree build backend needs nothing from an index, and reports the constraints
# the isolated build received.
BROKEN_BACKEND = """import os, sys

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, "brokenpkg-1.0.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\\nName: brokenpkg\\nVersion: 1.0\\n")
    return "brokenpkg-1.0.dist-info"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    for path in os.environ.get("PIP_CONSTRAINT", "").split():
        print("constraint:", open(path).read().strip(), file=sys.stderr)
    print("Error: pg_config executable not found.", file=sys.stderr)
    raise SystemExit(1)
"""
BROKEN_PYPROJECT = """[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""


def _git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    """A git repository with a branch 18.0 that looks like Odoo's to the bootstrap."""
    src = tmp_path_factory.mktemp("standin") / "odoo"
    (src / "odoo").mkdir(parents=True)
    (src / "odoo" / "__init__.py").write_text("")
    (src / "odoo" / "release.py").write_text(RELEASE)
    (src / "odoo-bin").write_text(
        "#!/usr/bin/env python3\nprint('stand-in odoo-bin')\n"
    )
    (src / "requirements.txt").write_text(ODOO_REQUIREMENTS)
    _git("init", "-q", "-b", "18.0", cwd=src)
    _git("add", ".", cwd=src)
    _git("commit", "-q", "-m", "stand-in Odoo 18.0", cwd=src)
    return src


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A Python 3 that cannot import odoo (this machine's may well)."""
    env = tmp_path_factory.mktemp("py") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    python = env / "bin" / "python"
    assert subprocess.run([python, "-c", "import odoo"], capture_output=True).returncode
    return python


@pytest.fixture
def project(tmp_path):
    """A copy of the project's scripts: .odoo/ and .venv/ are made beside it."""
    root = tmp_path / "project"
    (root / "tests" / "tools").mkdir(parents=True)
    for name in ("odoo_env.sh", "bootstrap_odoo.sh"):
        shutil.copy2(REPO / "tests" / "tools" / name, root / "tests" / "tools" / name)
    (root / "requirements.txt").write_text("")
    return root


def _env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("ODOO_PATH", "ODOO_SRC", "PYTHONPATH", "PIP_CONSTRAINT", "VIRTUAL_ENV")
    }
    env["PIP_NO_INDEX"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_env(project, **extra):
    """Sources odoo_env.sh as the Makefile's scripts do; returns (rc, vars, output)."""
    script = (
        "set -euo pipefail; source tests/tools/odoo_env.sh; "
        'echo "PYTHON=$PYTHON"; echo "ODOO_PATH=$ODOO_PATH"; echo "ODOO_BIN=$ODOO_BIN"'
    )
    proc = subprocess.run(
        ["bash", "-c", script],
        cwd=project,
        env=_env(**extra),
        capture_output=True,
        text=True,
        timeout=180,
    )
    found = dict(
        line.split("=", 1)
        for line in proc.stdout.splitlines()
        if line.split("=")[0].isupper()
    )
    return proc.returncode, found, proc.stdout + proc.stderr


def run_bootstrap(project, **extra):
    proc = subprocess.run(
        ["/bin/bash", "tests/tools/bootstrap_odoo.sh"],
        cwd=project,
        env=_env(**extra),
        capture_output=True,
        text=True,
        timeout=180,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_existing_odoo_wins(project, standin, bare_python):
    # ODOO_PATH set: used as is, nothing fetched (ODOO_SRC would fail if it were)
    rc, found, out = run_env(
        project, PYTHON=bare_python, ODOO_PATH=standin, ODOO_SRC=project / "nowhere"
    )
    assert rc == 0, out
    assert found["ODOO_PATH"] == str(standin)
    assert found["PYTHON"] == str(bare_python)
    assert found["ODOO_BIN"] == f"{bare_python} {standin}/odoo-bin"
    # odoo importable by $PYTHON: that one, nothing fetched
    rc, found, out = run_env(
        project, PYTHON=bare_python, PYTHONPATH=standin, ODOO_SRC=project / "nowhere"
    )
    assert rc == 0, out
    assert found["ODOO_PATH"] == str(standin)
    assert found["PYTHON"] == str(bare_python)
    assert "cloning" not in out
    assert not (project / ".odoo").exists()
    assert not (project / ".venv").exists()


def test_fetch_reuse_and_interrupted_fetch(project, standin, bare_python):
    odoo, venv = project / ".odoo", project / ".venv"
    broken = project.parent / "brokenpkg"
    broken.mkdir()
    (broken / "backend.py").write_text(BROKEN_BACKEND)
    (broken / "pyproject.toml").write_text(BROKEN_PYPROJECT)
    (project / "requirements.txt").write_text(f"{broken}\n")

    # 1. clone done, the install fails on a missing system library: said plainly,
    # the venv is left unmarked
    rc, found, out = run_env(project, PYTHON=bare_python, ODOO_SRC=standin)
    assert rc == 2, out
    assert "[1/3] cloning branch 18.0 of" in out
    assert "[2/3] creating .venv/" in out
    assert "   Building wheel for brokenpkg" in out  # pip's steps, one line each
    assert "need system libraries to build (brokenpkg)" in out
    assert (
        "sudo apt-get install -y build-essential python3-dev libpq-dev libxml2-dev "
        "libxslt1-dev libldap2-dev libsasl2-dev" in out
    )
    assert "constraint: setuptools<70" in (venv / "pip.log").read_text()
    head = subprocess.run(
        ["git", "-C", standin, "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout
    assert (odoo / ".fetch-complete").read_text() == head
    assert not (venv / ".install-complete").exists()
    shallow = subprocess.run(
        [
            "git",
            "-C",
            odoo,
            "rev-parse",
            "--is-shallow-repository",
            "--abbrev-ref",
            "HEAD",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shallow.stdout.split() == ["true", "18.0"]

    # 2. the library is there now (the package gone): the clone is reused, the
    # half-made venv redone, and the command goes on with the venv's Python
    (project / "requirements.txt").write_text("")
    rc, found, out = run_env(project, PYTHON=bare_python, ODOO_SRC=standin)
    assert rc == 0, out
    assert "[1/3] Odoo 18.0 already in .odoo/" in out
    assert ".venv/ was left by an interrupted set-up" in out
    assert found["PYTHON"] == str(venv / "bin" / "python")
    assert found["ODOO_PATH"] == str(odoo)
    assert found["ODOO_BIN"] == f"{venv}/bin/python {odoo}/odoo-bin"
    assert "python-ldap" not in (venv / "odoo-requirements.txt").read_text()

    # 3. a second run reuses both, untouched
    (venv / "sentinel").write_text("")
    rc, found, out = run_env(project, PYTHON=bare_python, ODOO_SRC=standin)
    assert rc == 0, out
    assert "reusing .odoo/ and .venv/" in out
    assert "cloning" not in out and "creating" not in out
    assert found["PYTHON"] == str(venv / "bin" / "python")
    assert (venv / "sentinel").exists()

    # 4. a fetch interrupted before its end (no marker, a partial tree): removed and
    # fetched again; the venv, made for the same commit, is kept
    (odoo / ".fetch-complete").unlink()
    (odoo / "odoo" / "release.py").unlink()
    (odoo / "partial").write_text("")
    rc, found, out = run_env(project, PYTHON=bare_python, ODOO_SRC=standin)
    assert rc == 0, out
    assert ".odoo/ was left by an interrupted fetch: removing it" in out
    assert "[1/3] cloning branch 18.0" in out
    assert "[2/3] .venv/ already set up for this commit" in out
    assert not (odoo / "partial").exists()
    assert (odoo / "odoo" / "release.py").read_text() == RELEASE
    assert (odoo / ".fetch-complete").is_file()
    assert (venv / "sentinel").exists()
    assert found["ODOO_PATH"] == str(odoo)

    # 5. make clean-odoo removes both
    subprocess.run(
        ["make", "-s", "-f", REPO / "Makefile", "clean-odoo"], cwd=project, check=True
    )
    assert not odoo.exists() and not venv.exists()


def test_what_cannot_be_fetched_is_said(project, standin, bare_python, tmp_path):
    # no network: the clone fails, nothing is left behind
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    rc, out = run_bootstrap(
        project, PYTHON=bare_python, ODOO_SRC=f"http://127.0.0.1:{closed_port}/odoo.git"
    )
    assert rc == 2, out
    assert "could not clone branch 18.0 of http://127.0.0.1" in out
    assert "no network" in out
    assert not (project / ".odoo").exists()

    # a branch 18.0 that is not Odoo 18.0
    other = tmp_path / "other"
    (other / "odoo").mkdir(parents=True)
    (other / "odoo" / "release.py").write_text("serie = '17.0'\n")
    (other / "odoo-bin").write_text("")
    _git("init", "-q", "-b", "18.0", cwd=other)
    _git("add", ".", cwd=other)
    _git("commit", "-q", "-m", "not 18", cwd=other)
    rc, out = run_bootstrap(project, PYTHON=bare_python, ODOO_SRC=other)
    assert rc == 2, out
    assert "is not Odoo 18.0" in out and "says '17.0'" in out
    assert not (project / ".odoo").exists()

    # no git
    nogit = tmp_path / "bin"
    nogit.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name != "git" and not (nogit / name).exists():
                    (nogit / name).symlink_to(os.path.join(folder, name))
    rc, out = run_bootstrap(project, PYTHON=bare_python, ODOO_SRC=standin, PATH=nogit)
    assert rc == 2, out
    assert "git not found" in out and "sudo apt-get install -y git" in out

    # a Python outside 3.10-3.12
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho 3.9\n")
    old.chmod(0o755)
    rc, out = run_bootstrap(project, PYTHON=old, ODOO_SRC=standin)
    assert rc == 2, out
    assert "Python 3.9" in out and "needs Python 3.10, 3.11 or 3.12" in out
    assert not (project / ".odoo").exists()

    # no PostgreSQL: said before anything is fetched, with the commands to get one
    rc, found, out = run_env(
        project, PYTHON=bare_python, ODOO_SRC=standin, PGHOST=tmp_path / "no-socket"
    )
    assert rc == 2, out
    assert "PostgreSQL not reachable" in out
    assert "sudo apt-get install -y postgresql && sudo service postgresql start" in out
    assert not (project / ".odoo").exists()
