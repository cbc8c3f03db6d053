"""What every benchmark shares: Odoo's paths and database options, a throw-away
database with addons installed, an Odoo registry, the loopback fake providers,
the scale of the run and the ``BENCH`` line that run_all.py reads.

``BENCH_SCALE=small`` (or ``make bench BENCH_SCALE=small``) makes every benchmark
use its small sizes (a quick check that everything runs; the figures then say
little against their targets). ``BENCH_DB_PREFIX`` is put before the name of
every throw-away database.
"""

import getpass
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FAKES = REPO / "optical_crm_sms" / "tests" / "fake_providers.py"
OUR_ADDONS = "optical_crm,optical_crm_sms,optical_crm_cycles"
for _path in (str(REPO), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def small():
    """True when ``BENCH_SCALE=small``: a quick run."""
    return os.environ.get("BENCH_SCALE", "full").lower() == "small"


def scaled(full, quick):
    """``full`` normally, ``quick`` with ``BENCH_SCALE=small``."""
    return quick if small() else full


def bench(figure, ours, reference="-", target="-"):
    """One figure for run_all.py's table (values are printed as given)."""
    print(f"BENCH\t{figure}\t{ours}\t{reference}\t{target}", flush=True)


def db_name(stem):
    """A throw-away database name: ``BENCH_DB_PREFIX`` (default empty) + stem."""
    return f"{os.environ.get('BENCH_DB_PREFIX', '')}{stem}"


def odoo_root():
    import odoo

    return Path(odoo.__file__).resolve().parent.parent


def addons_path():
    root = odoo_root()
    return f"{root}/odoo/addons,{root}/addons,{REPO}"


def db_args():
    """Odoo's database options from libpq's environment (PGUSER, PGHOST...)."""
    args = [f"--db_user={os.environ.get('PGUSER') or getpass.getuser()}"]
    for env, option in (
        ("PGHOST", "db_host"),
        ("PGPORT", "db_port"),
        ("PGPASSWORD", "db_password"),
    ):
        if os.environ.get(env):
            args.append(f"--{option}={os.environ[env]}")
    return args


def install(db, modules, log=None):
    """A new database ``db`` (dropped first if it exists) with ``modules``
    installed, no demo data; returns the seconds it took."""
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(["createdb", db], check=True)
    started = time.time()
    subprocess.run(
        [
            sys.executable,
            str(odoo_root() / "odoo-bin"),
            "-d",
            db,
            *db_args(),
            f"--addons-path={addons_path()}",
            "-i",
            modules,
            "--without-demo=all",
            "--stop-after-init",
            "--max-cron-threads=0",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.time() - started
    if log:
        log(f"installed {modules} in {db} in {elapsed:.0f} s")
    return elapsed


def drop(db):
    if "odoo.sql_db" in sys.modules:
        sys.modules["odoo.sql_db"].close_db(db)
    subprocess.run(["dropdb", "--if-exists", db], check=False)


def configure(db=None):
    """Parse Odoo's configuration for this process; returns the odoo package."""
    import odoo

    options = [*db_args(), f"--addons-path={addons_path()}", "--log-level=warn"]
    if db:
        options += ["-d", db]
    odoo.tools.config.parse_config(options)
    return odoo


def registry(db):
    """``(odoo, registry of db)``."""
    odoo = configure(db)
    from odoo.modules.registry import Registry

    return odoo, Registry(db)


def environment(cr):
    import odoo

    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def fake_providers():
    """optical_crm_sms/tests/fake_providers.py, without importing the addon's
    test package (it has no Odoo import)."""
    module = sys.modules.get("optical_fake_providers")
    if module is None:
        spec = importlib.util.spec_from_file_location("optical_fake_providers", FAKES)
        module = importlib.util.module_from_spec(spec)
        sys.modules["optical_fake_providers"] = module
        spec.loader.exec_module(module)
    return module


def start_fake(kind):
    """A fake provider (``skebby``, ``twilio``, ``iap``) serving in this process."""
    return fake_providers().FAKES[kind]().start()


def start_fake_process(kind):
    """A fake provider in its own process: ``(process, url)``."""
    proc = subprocess.Popen(
        [sys.executable, str(FAKES), kind], stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        raise RuntimeError(f"fake {kind} did not start: {line}")
    return proc, line.split(" ", 1)[1]


def open_all_hours(company, cap=False):
    """Benchmarks run at any hour: a 24/7 send window, no holidays, no hourly
    limit for ``company``, and no contact cap unless ``cap``."""
    from odoo import Command

    env = company.env
    calendar = env["resource.calendar"].create(
        {
            "name": "bench: always open",
            "tz": "Europe/Rome",
            "attendance_ids": [
                Command.create(
                    {"name": str(d), "dayofweek": str(d), "hour_from": 0, "hour_to": 24}
                )
                for d in range(7)
            ],
        }
    )
    values = {
        "optical_send_calendar_id": calendar.id,
        "optical_skip_public_holidays": False,
        "optical_hourly_limit": 0,
    }
    if not cap:
        values["optical_cap_count"] = 0
    company.write(values)
    return company


def instrument_hooks(registry, targets):
    """Time, inside the posts of our database, the methods ``targets`` (pairs
    ``(model name, method name)``): ``hooks["current"]`` adds up their time."""
    hooks = {"current": 0.0, "per_post": []}
    for model, name in targets:
        cls = registry[model]
        original = getattr(cls, name)

        def timed(self, *args, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                hooks["current"] += time.perf_counter() - started

        setattr(cls, name, timed)
    return hooks


def post_one(registry, move_id):
    """Post one draft move in its own transaction; returns the seconds."""
    with registry.cursor() as cr:
        env = environment(cr)
        move = env["account.move"].browse(move_id)
        started = time.perf_counter()
        move.action_post()
        cr.commit()
        return time.perf_counter() - started
