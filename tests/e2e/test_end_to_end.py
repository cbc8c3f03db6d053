"""End-to-end: a new shop, from nothing to the figures on its results screens.

Run by ``make test`` (pytest-odoo, after Odoo's test runner). Odoo's test runner
cannot commit nor serve requests from another process, so this runs here, on a
copy of the tested database (``createdb -T``), with:

* the business steps in this process, through the ORM, as the shop's manager,
  committing like production does (the scheduled actions commit per batch);
* a real Odoo HTTP server (``odoo-bin``) on the copy for every public route: the
  provider's delivery reports, the link tracker, the landing page (visit, booking,
  opt-out), and the JSON-RPC calls that feed the results screens;
* the loopback fake Skebby of optical_crm_sms as the shop's SMS provider.

Time moves with freezegun: the invoices are posted 400 days ago, then the cycles'
scheduled actions run on the days their steps fall due; the campaign goes out
yesterday at 10:00 (Rome), and its results come back now, over HTTP. Every figure
read on the screens is compared with the value worked out by hand in this file.
"""

import base64
import datetime as dt
import os
import re
import threading
from pathlib import Path

import pytest
import pytz
from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry

from odoo.addons.optical_crm_sms.tests.fake_providers import FakeSkebby

from .shop import Browser, OdooServer, clone_database, drop_database

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "legacy_import"
ROME = pytz.timezone("Europe/Rome")
PASSWORD = "titolare-e2e-2024"
TRACKED_RE = re.compile(r"/r/[A-Za-z0-9]+/s/\d+")
LANDING_RE = re.compile(r"/o/[A-Za-z0-9_-]{12}\b")

# the shop's articles (codes of the legacy export): category, price, CL data
PRODUCTS = {
    "MON-TIT-02": ("Montatura titanio", "frame", 250.0, None),
    "MON-ACE-01": ("Montatura acetato", "frame", 120.0, None),
    "LEN-PRO-16": ("Lente progressiva 1.6", "spectacle_lens", 275.0, None),
    "LEN-MON-16": ("Lente monofocale 1.6", "spectacle_lens", 65.0, None),
    "SOL-POL-01": ("Occhiale da sole polarizzato", "sunglasses", 145.0, None),
    "LAC-TOR-03": ("Toriche mensili 3 lenti", "contact_lens", 28.0, (30, 3)),
    "LAC-GIO-90": ("Giornaliere 90 lenti", "contact_lens", 75.0, (1, 90)),
    "ACC-AST-01": ("Astuccio rigido", "accessory", 12.0, None),
}
# purchases of the legacy export (acquisti.csv), per customer code: (date, amount)
LEGACY = {
    "000101": [("2019-03-15", 210.0), ("2019-03-15", 480.0), ("2023-04-10", 520.0)],
    "000102": [("2020-07-02", 120.0), ("2020-07-02", 130.0)],
    "000103": [("2021-09-11", 75.0), ("2021-09-11", 130.0)],
    "000105": [("2022-01-20", 120.0), ("2022-01-20", 190.0), ("2022-06-30", 145.0)],
    "000106": [("2023-05-05", 150.0), ("2023-05-05", 35.0), ("2023-09-02", 150.0)],
    "000108": [("2021-06-01", 112.0), ("2021-06-01", 28.0), ("2021-12-15", 112.0)],
    "000110": [("2024-04-22", 75.0), ("2024-04-22", 130.0)],
    "000112": [("2019-09-09", 310.0), ("2024-05-14", 12.0)],
}


def utc(day, hour, minute=0):
    """Naive UTC datetime of ``day`` at ``hour:minute`` in Rome."""
    local = ROME.localize(dt.datetime.combine(day, dt.time(hour, minute)))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    name = f"{os.environ.get('OPTICAL_TEST_DB', 'optical')}_e2e_{os.getpid()}"[:63]
    db = clone_database(name)
    skebby = FakeSkebby().start()
    server = OdooServer(db, tmp_path_factory.mktemp("e2e") / "odoo.log")
    thread = threading.current_thread()
    testing = getattr(thread, "testing", False)
    try:
        registry = load_registry(db)
        server.start()
        # production behaviour: the scheduled actions commit per batch
        thread.testing = False
        with registry.cursor() as cr:
            yield Shop(api.Environment(cr, SUPERUSER_ID, {}), server, skebby)
    finally:
        thread.testing = testing
        server.stop()
        skebby.stop()
        Registry.delete(db)
        drop_database(db)


def load_registry(db):
    # pytest-odoo sets test_enable: loading a registry would then run tests
    test_enable = odoo.tools.config["test_enable"]
    odoo.tools.config["test_enable"] = False
    try:
        return Registry(db)
    finally:
        odoo.tools.config["test_enable"] = test_enable


class Shop:
    """The shop under test and the actions of its people and scheduled actions."""

    def __init__(self, env, server, skebby):
        self.env = env
        self.server = server
        self.skebby = skebby
        today = dt.datetime.now(ROME).date()
        self.today = today
        self.t0 = today - dt.timedelta(days=400)
        self.yesterday = today - dt.timedelta(days=1)

    # ------------------------------------------------------------------ setup
    def open_shop(self):
        """A new company with its chart of accounts, manager, send window,
        consent rules and SMS provider; nothing else."""
        env = self.env
        italy = env.ref("base.it")
        admin = env.ref("base.user_admin")
        shop = env["res.company"].create(
            {
                "name": "Ottica Bellini",
                "country_id": italy.id,
                "currency_id": env.ref("base.EUR").id,
                "street": "Via dell'Indipendenza 20",
                "city": "Bologna",
            }
        )
        admin.company_ids |= shop
        env["account.chart.template"].try_loading(
            "generic_coa", company=shop, install_demo=False
        )
        env["ir.config_parameter"].set_param("web.base.url", self.server.url)
        env["ir.config_parameter"].set_param("web.base.url.freeze", "True")
        self.shop = shop
        self.manager = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Chiara Bellini",
                    "login": "chiara.bellini",
                    "password": PASSWORD,
                    "email": "chiara@otticabellini.example",
                    "tz": "Europe/Rome",
                    "lang": "it_IT" if env["res.lang"]._get_code("it_IT") else "en_US",
                    "company_id": shop.id,
                    "company_ids": [Command.set(shop.ids)],
                    "groups_id": [
                        Command.set(
                            [
                                env.ref("base.group_user").id,
                                env.ref("optical_crm.group_optical_manager").id,
                                env.ref("account.group_account_manager").id,
                            ]
                        )
                    ],
                }
            )
        )
        # send window: every day 8:00-21:00 in Rome; cap 3 messages in 30 days
        window = env["resource.calendar"].create(
            {
                "name": "Ottica Bellini: orari di invio",
                "company_id": shop.id,
                "tz": "Europe/Rome",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": str(day),
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 21,
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        shop.write(
            {
                "optical_send_calendar_id": window.id,
                "optical_skip_public_holidays": False,
                "optical_cap_count": 3,
                "optical_cap_days": 30,
                "optical_attribution_days": 30,
                "optical_recall_months": 12,
            }
        )
        self.uenv = env(user=self.manager, context={"allowed_company_ids": shop.ids})
        self.provider = self.uenv["optical.sms.provider"].create(
            {
                "name": "Skebby",
                "provider_type": "skebby",
                "api_url": f"{self.skebby.url}/API/v1.0/REST/",
                "username": self.skebby.username,
                "password": self.skebby.password,
                "sender": "+393331234567",
                "price_per_segment": 0.05,
                "company_id": shop.id,
            }
        )
        Product = self.uenv["product.product"]
        self.products = {}
        for code, (name, category, price, cl) in PRODUCTS.items():
            vals = {
                "name": name,
                "default_code": code,
                "optical_category": category,
                "list_price": price,
                "company_id": shop.id,
                "taxes_id": [Command.clear()],
            }
            if cl:
                vals["optical_cl_replacement_days"] = cl[0]
                vals["optical_cl_lenses_per_pack"] = cl[1]
            self.products[code] = Product.create(vals)
        env.cr.commit()

    def import_file(self, filename, import_type):
        wizard = self.uenv["optical.import.wizard"].create(
            {
                "import_type": import_type,
                "filename": filename,
                "data_file": base64.b64encode((SAMPLES / filename).read_bytes()),
            }
        )
        wizard.action_check()
        checked = (wizard.count_new, wizard.count_rejected)
        wizard.action_import()
        self.env.cr.commit()
        return checked, wizard

    def customer(self, code):
        return self.uenv["res.partner"].search([("ref", "=", code)])

    def invoice(self, code, lines, day):
        move = self.uenv["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer(code).id,
                "invoice_date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.products[product].id,
                            "quantity": quantity,
                            "price_unit": PRODUCTS[product][2],
                            "tax_ids": [Command.clear()],
                        }
                    )
                    for product, quantity in lines
                ],
            }
        )
        move.action_post()
        self.env.cr.commit()
        return move

    # ------------------------------------------------------------------ crons
    def run_cron(self, xmlid):
        # a new transaction first: its snapshot sees what the server committed
        # meanwhile (a delivery report stored in the inbox, a booking)
        self.env.cr.commit()
        self.env.ref(xmlid).method_direct_trigger()
        self.env.cr.commit()

    def cycles_day(self, at):
        """What the scheduled actions do at ``at``: date triggers, dispatch of the
        due cycle messages, the SMS queue. Returns the SMS the provider got."""
        before = len(self.skebby.accepted)
        with freeze_time(at):
            self.run_cron("optical_crm_cycles.ir_cron_cycle_dispatch")
            self.run_cron("sms.ir_cron_sms_scheduler_action")
        self.env.invalidate_all()
        return self.received(before)

    def received(self, before=0):
        return [self.skebby.messages[key] for key in self.skebby.accepted[before:]]

    # ------------------------------------------------------------------ HTTP
    def report(self, message, status):
        """The provider's delivery report, on the real route, then the scheduled
        action it wakes, which applies the reports received (the server runs no
        cron threads)."""
        code = self.skebby.report(
            self.provider._optical_report_url(), message["order_id"], status
        )
        assert code == 200, code
        self.run_cron("optical_crm_sms.ir_cron_sms_report_inbox")


def numbers(shop, *codes):
    return {shop.customer(code).mobile for code in codes}


def test_end_to_end(world):
    shop = world
    env = shop.env
    shop.open_shop()
    S = shop.shop

    # ---- import the legacy samples through the wizard ---------------------
    with freeze_time(utc(shop.t0, 9)):
        checked, wizard = shop.import_file("clienti.csv", "customers")
        assert checked == (12, 0)
        assert (wizard.count_new, wizard.count_rejected) == (12, 0)
        checked, wizard = shop.import_file("ricette.csv", "prescriptions")
        assert (wizard.count_new, wizard.count_rejected) == (10, 0)
        checked, wizard = shop.import_file("acquisti.csv", "purchases")
        assert (wizard.count_new, wizard.count_rejected) == (20, 0)
        checked, wizard = shop.import_file("clienti_con_errori.csv", "customers")
        assert wizard.count_rejected == 5, [
            (line.reference, line.status, line.message) for line in wizard.line_ids
        ]
    mario, francesca, stefano, giulia, elisa, lucia, paolo = (
        shop.customer(code)
        for code in ("000101", "000102", "000105", "000106", "000108", "000111")
        + ("000112",)
    )
    assert mario.mobile == "+393331234501"
    allowed = {
        code: shop.customer(code)._optical_contact_allowed("sms")[0]
        for code in ("000101", "000102", "000106", "000112")
    }
    assert allowed == {"000101": True, "000102": True, "000106": False, "000112": False}

    # ---- the shop enables the ready-made cycles ---------------------------
    # the ready-made cycles belong to the first company of the database: the
    # chain's administrator (who sees both shops) copies them into the new shop
    admin = env(
        user=env.ref("base.user_admin"),
        context={"allowed_company_ids": [S.id, env.ref("base.main_company").id]},
    )
    cycles = {}
    for key, xmlid in (
        ("glasses", "optical_crm_cycles.optical_cycle_template_spectacles"),
        ("lenses", "optical_crm_cycles.optical_cycle_template_contact_lenses"),
        ("exam", "optical_crm_cycles.optical_cycle_template_annual_exam"),
    ):
        template = (
            admin["optical.cycle"]
            .with_context(active_test=False)
            .browse(env.ref(xmlid).id)
        )
        cycles[key] = template.copy(
            {
                "name": template.name,
                "company_id": S.id,
                "user_id": shop.manager.id,
                "active": True,
            }
        )
    env.cr.commit()
    steps = {
        key: shop.uenv["optical.cycle.step"].search(
            [("cycle_id", "=", cycle.id)], order="sequence"
        )
        for key, cycle in cycles.items()
    }
    assert [len(steps[k]) for k in ("glasses", "lenses", "exam")] == [3, 1, 2]

    # ---- day 0: invoices (corrective glasses, contact lenses...) and an exam
    t0 = shop.t0
    with freeze_time(utc(t0, 9, 30)):
        shop.invoice("000101", [("MON-TIT-02", 1), ("LEN-PRO-16", 2)], t0)  # 800
        shop.invoice("000102", [("MON-ACE-01", 1), ("LEN-MON-16", 2)], t0)  # 250
        shop.invoice("000112", [("LEN-PRO-16", 2)], t0)  # 550, no SMS consent
        shop.invoice("000105", [("SOL-POL-01", 1)], t0)  # 145, sunglasses
        shop.invoice("000108", [("LAC-TOR-03", 2)], t0)  # 56, lenses for 90 days
        shop.invoice("000111", [("ACC-AST-01", 1)], t0)  # 12
        shop.uenv["optical.exam"].create({"partner_id": mario.id, "date": t0})
        # at the exam Mario agrees to be called for the next one
        shop.uenv["optical.consent.wizard"].create(
            {
                "partner_ids": [Command.set(mario.ids)],
                "channel": "phone",
                "purpose": "marketing",
                "decision": "granted",
                "source": "store",
            }
        ).action_record()
        env.cr.commit()
    Enrollment = shop.uenv["optical.cycle.enrollment"]
    enrolled = {
        key: set(Enrollment.search([("cycle_id", "=", c.id)]).partner_id.mapped("ref"))
        for key, c in cycles.items()
    }
    assert enrolled == {
        "glasses": {"000101", "000102", "000112"},
        "lenses": set(),
        "exam": {"000101"},
    }

    # ---- the cycles fire over 13 months ------------------------------------
    week = shop.cycles_day(utc(t0 + dt.timedelta(days=7), 10, 30))
    assert {m["recipient"] for m in week} == numbers(shop, "000101", "000102")
    [text] = [m["message"] for m in week if m["recipient"] == mario.mobile]
    assert text.startswith(
        "Buongiorno Mario Rossi, come si trova con i suoi nuovi occhiali? Se servono "
        f"regolazioni la aspettiamo in negozio. Ottica Bellini\nSTOP SMS: "
        f"{shop.server.url}/sms/"
    )
    for message in week:
        shop.report(message, "DLVRD")
    month_day = t0 + relativedelta(months=1)
    month = shop.cycles_day(utc(month_day, 10, 30))
    assert {m["recipient"] for m in month} == numbers(shop, "000101", "000102")
    for message in month:  # Francesca's report never comes
        if message["recipient"] == mario.mobile:
            shop.report(message, "DLVRD")
    # Francesca buys a case 20 days after the second message
    with freeze_time(utc(month_day + dt.timedelta(days=20), 11)):
        shop.invoice("000102", [("ACC-AST-01", 1)], month_day + dt.timedelta(days=20))
    # contact lenses run out on day 90: the daily trigger enrolls Elisa on day 80
    runout_day = t0 + dt.timedelta(days=80)
    with freeze_time(utc(runout_day, 2)):
        shop.run_cron("optical_crm_cycles.ir_cron_cycle_date_triggers")
    lenses = shop.cycles_day(utc(runout_day, 10, 30))
    assert [m["recipient"] for m in lenses] == [elisa.mobile]
    assert "lenti a contatto" in lenses[0]["message"]
    shop.report(lenses[0], "DLVRD")
    year_day = t0 + relativedelta(years=1)
    year = shop.cycles_day(utc(year_day, 10, 30))
    assert sorted(m["recipient"] for m in year) == sorted(
        [mario.mobile, francesca.mobile, mario.mobile]
    )
    for message in year:
        shop.report(message, "DLVRD")
    call_day = year_day + dt.timedelta(days=14)
    assert shop.cycles_day(utc(call_day, 10, 30)) == []
    # the phone step: a call for the cycle's responsible, on Mario
    calls = shop.uenv["mail.activity"].search(
        [("res_model", "=", "res.partner"), ("res_id", "=", mario.id)]
    )
    assert (calls.activity_type_id, calls.user_id, calls.date_deadline) == (
        env.ref("mail.mail_activity_data_call"),
        shop.manager,
        call_day,
    )

    # ---- the campaign: segment -> preview -> schedule -> scheduled action ----
    # Lucia asks for no more SMS: her number is blacklisted
    env["phone.blacklist"].sudo().add(lucia.mobile)
    env.cr.commit()
    campaign_time = utc(shop.yesterday, 10)
    with freeze_time(campaign_time):
        landing = shop.uenv["optical.landing.page"].create(
            {
                "name": "Controllo della vista gratuito",
                "offer_text": "Prenoti il controllo: è gratuito fino a fine mese.",
                "booking_enabled": True,
                "validity_days": 10,
                "company_id": S.id,
            }
        )
        segment = shop.uenv["optical.segment"].create(
            {"name": "Clienti adulti del negozio", "shop_id": S.id, "age_min": 18}
        )
        campaign = shop.uenv["optical.campaign"].create(
            {
                "name": "Controllo della vista",
                "segment_id": segment.id,
                "channel": "sms",
                "date_start": shop.yesterday,
                "date_end": shop.yesterday + dt.timedelta(days=14),
                "control_percent": 0,
                "sms_body": "Ciao {{ object.optical_first_name }}, controllo della "
                "vista gratuito: https://www.otticabellini.example/controllo",
            }
        )
        campaign.mailing_id.optical_landing_page_id = landing
        preview = shop.uenv["optical.campaign.preview"].browse(
            campaign.action_preview()["res_id"]
        )
        assert (
            preview.audience_count,
            preview.eligible_count,
            preview.excluded_count,
            preview.excluded_no_consent,
            preview.excluded_blacklisted,
            preview.message_count,
        ) == (7, 4, 3, 3, 0, 4)  # Paolo; Lucia (her STOP revoked her consent);
        # Giulia (no SMS consent), a customer of the shop by her imported purchases
        preview.action_schedule()
        env.cr.commit()
        before = len(shop.skebby.accepted)
        shop.run_cron("optical_crm.ir_cron_optical_campaign_send")
        shop.run_cron("sms.ir_cron_sms_scheduler_action")
    # the next run of the scheduled action closes the campaign: queue empty
    with freeze_time(campaign_time + dt.timedelta(minutes=5)):
        shop.run_cron("optical_crm.ir_cron_optical_campaign_send")
    env.invalidate_all()
    sent = {m["recipient"]: m for m in shop.received(before)}
    assert set(sent) == numbers(shop, "000101", "000102", "000105", "000108")
    text = sent[mario.mobile]["message"]
    assert text.startswith("Ciao Mario, controllo della vista gratuito: ")
    assert f"{shop.server.url}/o/" in text  # his personal landing link

    # ---- results come back over HTTP, to the real server -------------------
    shop.report(sent[mario.mobile], "DLVRD")
    shop.report(sent[francesca.mobile], "DLVRD")
    shop.report(sent[elisa.mobile], "DLVRD")
    shop.report(sent[stefano.mobile], "UNKNRCPT")
    browser = Browser(shop.server)
    # Mario taps the link of the message, then books from his landing page
    click = browser.get(
        TRACKED_RE.search(sent[mario.mobile]["message"]).group(0),
        allow_redirects=False,
    )
    assert click.status_code in (301, 302, 303), click.status_code
    page = browser.get(LANDING_RE.search(sent[mario.mobile]["message"]).group(0))
    assert page.status_code == 200 and "Mario" in page.text
    booked = browser.post_form(
        LANDING_RE.search(sent[mario.mobile]["message"]).group(0) + "/book",
        page.text,
        {"slot": "morning", "day": (shop.today + dt.timedelta(days=3)).isoformat()},
    )
    assert booked.status_code == 200
    # Francesca opts out from hers
    other = Browser(shop.server)
    path = LANDING_RE.search(sent[francesca.mobile]["message"]).group(0)
    page = other.get(path)
    assert other.post_form(f"{path}/optout", page.text, {}).status_code == 200
    assert shop.server.errors() == []

    # ---- they buy: Mario sunglasses, Elisa her lenses (today) --------------
    env.invalidate_all()
    shop.invoice("000101", [("SOL-POL-01", 1)], shop.today)  # 145
    shop.invoice("000108", [("LAC-TOR-03", 2)], shop.today)  # 56
    shop.run_cron("optical_crm.ir_cron_optical_campaign_results")
    shop.run_cron("optical_crm.ir_cron_optical_value_refresh")

    # ---- the results screens, read over JSON-RPC as the shop's manager ------
    browser.login("chiara.bellini", PASSWORD, S.id)
    [results] = browser.call(
        "optical.campaign",
        "read",
        [campaign.id],
        [
            "state",
            "audience_count",
            "excluded_count",
            "excluded_no_consent",
            "excluded_blacklisted",
            "sent_count",
            "delivered_count",
            "failed_count",
            "clicked_count",
            "opted_out_count",
            "booked_count",
            "converted_count",
            "revenue",
        ],
    )
    results.pop("id")
    assert results == {
        "state": "done",
        "audience_count": 7,
        "excluded_count": 3,
        # Paolo, Lucia (STOP: revoked in the ledger), Giulia (imported purchases
        # only: a customer of the shop all the same; no SMS consent)
        "excluded_no_consent": 3,
        "excluded_blacklisted": 0,
        "sent_count": 4,  # Mario, Francesca, Stefano, Elisa
        "delivered_count": 3,  # Stefano's number is unknown
        "failed_count": 1,
        "clicked_count": 2,  # Mario (link, then page), Francesca (page)
        "opted_out_count": 1,  # Francesca
        "booked_count": 1,  # Mario
        "converted_count": 2,  # Mario and Elisa bought today
        "revenue": 145.0 + 56.0,
    }
    step_fields = [
        "sent_count",
        "delivered_count",
        "skipped_count",
        "failed_count",
        "cancelled_count",
        "scheduled_count",
        "converted_count",
        "revenue",
    ]
    figures = {
        key: [
            {k: v for k, v in row.items() if k != "id"}
            for row in browser.call(
                "optical.cycle.step", "read", steps[key].ids, step_fields
            )
        ]
        for key in steps
    }

    def step(sent, delivered, cancelled=0, converted=0, revenue=0.0):
        return {
            "sent_count": sent,
            "delivered_count": delivered,
            "skipped_count": 0,
            "failed_count": 0,
            "cancelled_count": cancelled,
            "scheduled_count": 0,
            "converted_count": converted,
            "revenue": revenue,
        }

    assert figures == {
        # Paolo refused SMS marketing (import): his enrollment stops at the
        # first dispatch, its three messages cancelled (opt-out)
        "glasses": [
            step(2, 2, cancelled=1),
            # Francesca's report never came; her case was bought within 30 days
            step(2, 1, cancelled=1, converted=1, revenue=12.0),
            step(2, 2, cancelled=1),
        ],
        "lenses": [step(1, 1)],
        # the SMS, then the phone call (an activity: not "delivered" until done)
        "exam": [step(1, 1), step(1, 0)],
    }

    dashboard = browser.call("optical.value.dashboard", "optical_dashboard_data")
    cards = {card["name"]: card["value"] for card in dashboard["cards"]}
    assert cards == expected_cards(shop)
    attribution = {
        row["name"]: (row["value"], row["amount"]) for row in dashboard["attribution"]
    }
    # invoices of the last 12 months after a message: Francesca's case (day
    # ~50, after the second cycle message), Mario and Elisa today (campaign)
    assert attribution == {"campaign": (2, 201.0), "cycle": (1, 12.0)}
    segments = {row["segment"]: row["value"] for row in dashboard["segments"]["rows"]}
    # the sales ledger counts the imported history too: purchase days per
    # customer (9 customers): Mario 4, Elisa 4, Francesca 3, Stefano 3, Paolo 3,
    # Giulia 2, Niccolò 1, Sofia 1, Lucia 1
    assert segments == {
        # Mario: bought today (R 4), 4 purchase days (F 1 + floor(5 * 7/9) = 4),
        # the largest spender (M 5)
        "champions": 1,
        # Elisa: bought today, 4 purchase days, but spends less (M < 4)
        "loyal": 1,
        "new": 0,
        # Francesca: 3 purchase days (F 3)
        "regular": 1,
        # Paolo, Stefano, Lucia: last purchase 400 days ago (12 to 18 months)
        "at_risk": 3,
        # Niccolò (2021), Giulia (2023), Sofia (2024): imported history only
        "lapsed": 3,
        "no_purchase": 0,
    }
    years = invoice_years(shop)
    retention = [
        (row["year"], row["customers"], row["retained"])
        for row in dashboard["retention"]["rows"]
    ]
    assert retention == [
        (
            year,
            len(customers),
            len(customers & years.get(year + 1, set())),
        )
        for year, customers in sorted(years.items())
        if year < shop.today.year
    ]
    first_year = {}
    for year, customers in sorted(years.items()):
        for code in customers:
            first_year.setdefault(code, year)
    cohorts = {
        row["cohort"]: {cell["year"]: cell["count"] for cell in row["cells"]}
        for row in dashboard["cohorts"]["rows"]
    }
    assert cohorts == {
        cohort: {
            year: (
                len({c for c in customers if first_year[c] == cohort})
                if year >= cohort
                else None
            )
            for year, customers in sorted(years.items())
        }
        for cohort in set(first_year.values())
    }

    profile_fields = [
        "optical_ltv",
        "optical_last_purchase_date",
        "optical_cl_runout_date",
        "optical_next_exam_date",
    ]
    profiles = {
        row["id"]: {k: v for k, v in row.items() if k != "id"}
        for row in browser.call(
            "res.partner",
            "read",
            [mario.id, francesca.id, elisa.id, giulia.id, paolo.id],
            profile_fields,
        )
    }

    def profile(ltv, last, runout=False, exam=False):
        return {
            "optical_ltv": ltv,
            "optical_last_purchase_date": last.isoformat(),
            "optical_cl_runout_date": runout and runout.isoformat(),
            "optical_next_exam_date": exam and exam.isoformat(),
        }

    assert profiles == {
        mario.id: profile(
            1210.0 + 800.0 + 145.0, shop.today, exam=t0 + relativedelta(months=12)
        ),
        francesca.id: profile(250.0 + 250.0 + 12.0, month_day + dt.timedelta(days=20)),
        # 2 packs x 3 lenses x 30 days, two eyes: 90 days
        elisa.id: profile(
            252.0 + 56.0 + 56.0, shop.today, runout=shop.today + dt.timedelta(90)
        ),
        # legacy only: 2 packs x 90 daily lenses on 2/9/2023, two eyes: 90 days;
        # the eye exam she bought on 5/5/2023 is her exam of that day (recall 12
        # months)
        giulia.id: profile(
            335.0,
            dt.date(2023, 9, 2),
            runout=dt.date(2023, 9, 2) + dt.timedelta(90),
            exam=dt.date(2024, 5, 5),
        ),
        paolo.id: profile(322.0 + 550.0, t0),
    }
    assert shop.server.errors() == []


def shop_invoices(shop):
    """The invoices of the run: customer code and invoice date."""
    t0, today = shop.t0, shop.today
    month_day = t0 + relativedelta(months=1)
    return [
        ("000101", t0),
        ("000102", t0),
        ("000112", t0),
        ("000105", t0),
        ("000108", t0),
        ("000111", t0),
        ("000102", month_day + dt.timedelta(days=20)),
        ("000101", today),
        ("000108", today),
    ]


def shop_purchases(shop):
    """Every sale of the shop: the invoices of the run and the purchases
    imported from the legacy software (the sales ledger counts both)."""
    return shop_invoices(shop) + [
        (code, dt.date.fromisoformat(day))
        for code, rows in LEGACY.items()
        for day, _amount in rows
    ]


def invoice_years(shop):
    """{year: customer codes who bought that year (invoices or imported)}"""
    years = {}
    for code, day in shop_purchases(shop):
        years.setdefault(day.year, set()).add(code)
    return years


def expected_cards(shop):
    """The dashboard's customer counts, worked out from the sales listed by hand.

    The dashboard counts every sale of the shop (optical.customer.value reads
    the sales ledger): the run's invoices and the purchases imported from the
    legacy software.
    """
    today, t0 = shop.today, shop.t0
    invoices = {}
    for code, day in shop_purchases(shop):
        invoices.setdefault(code, []).append(day)
    lapsed_cutoff = today - relativedelta(months=18)
    new_cutoff = today - relativedelta(months=12)
    next_exam = t0 + relativedelta(months=12)  # Mario's, a year after his exam
    return {
        "active": sum(max(d) >= lapsed_cutoff for d in invoices.values()),
        "new": sum(min(d) >= new_cutoff for d in invoices.values()),
        "lapsed": sum(max(d) < lapsed_cutoff for d in invoices.values()),
        "exam_due_month": int(next_exam.replace(day=1) == today.replace(day=1)),
        # Elisa's lenses run out in 90 days, Giulia's ran out in 2023
        "cl_runout": 0,
    }
