"""The moving parts of the end-to-end run (tests/e2e/test_end_to_end.py).

* ``clone_database``: a copy of the database ``make test`` installed the addons in
  (``createdb -T``), where the run may commit like production does.
* ``OdooServer``: a real Odoo HTTP server (``odoo-bin``, its own process) on that
  copy, for the public routes (delivery reports, link tracker, landing pages) and
  for the screens' JSON-RPC calls.
* ``Browser``: a ``requests`` session with Odoo's JSON-RPC helpers.
"""

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

import odoo
from odoo.sql_db import close_db

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clone_database(name):
    source = odoo.tools.config["db_name"]
    close_db(source)  # createdb -T needs the template without connections
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", source, name], check=True)
    return name


def drop_database(name):
    close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=False)


class OdooServer:
    """``odoo-bin`` serving one database on a free loopback port."""

    def __init__(self, db, log_path):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.proc = None

    def start(self, timeout=120):
        odoo_bin = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
        command = (
            [sys.executable, str(odoo_bin)]
            if odoo_bin.exists()
            else [
                sys.executable,
                "-m",
                "odoo",
            ]
        )
        if odoo.tools.config.rcfile:
            command += ["-c", odoo.tools.config.rcfile]
        command += [
            "-d",
            self.db,
            f"--db-filter=^{self.db}$",
            f"--http-port={self.port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--workers=0",
            "--log-level=warn",
            f"--logfile={self.log_path}",
        ]
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo server exited: {self.log_tail()}")
            try:
                if requests.get(f"{self.url}/web/health", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"Odoo server not answering: {self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def log_tail(self, size=3000):
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def errors(self):
        """ERROR and CRITICAL lines of the server's log."""
        return [
            line
            for line in self.log_tail(size=10**7).splitlines()
            if re.match(r"^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ", line)
        ]


class Browser:
    """What a browser (or a provider's callback) does: HTTP on the real server."""

    def __init__(self, server):
        self.url = server.url
        self.db = server.db
        self.session = requests.Session()
        self.uid = None
        self.context = {}

    def get(self, path, **kw):
        return self.session.get(self.url + path, timeout=60, **kw)

    def post_form(self, path, page_html, data):
        """Submit a form of ``page_html`` (with its CSRF token)."""
        token = CSRF_RE.search(page_html).group(1)
        return self.session.post(
            self.url + path, data=dict(data, csrf_token=token), timeout=60
        )

    def jsonrpc(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1},
            timeout=60,
        )
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            raise AssertionError(payload["error"])
        return payload["result"]

    def login(self, login, password, company_id):
        result = self.jsonrpc(
            "/web/session/authenticate",
            {"db": self.db, "login": login, "password": password},
        )
        self.uid = result["uid"]
        self.context = dict(
            result.get("user_context") or {}, allowed_company_ids=[company_id]
        )
        return result

    def call(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", self.context)
        return self.jsonrpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )
