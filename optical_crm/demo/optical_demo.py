"""Demo data: an Italian optical shop with about 150 customers and three years of
history (exams, prescriptions, posted invoices and credit notes, consents,
touchpoints). Deterministic (fixed seed), dated relative to today so the demo
always looks current. Called once, at install, from demo/optical_demo.xml.
"""

import random
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields

SEED = 20240501
CUSTOMERS = 150

FIRST_F = (
    "Giulia Francesca Chiara Sara Martina Alessia Elena Valentina Federica Silvia "
    "Anna Maria Laura Paola Giorgia Sofia Aurora Beatrice Camilla Alice Ginevra "
    "Rosa Lucia Teresa Carla Franca Marisa Daniela Roberta Simona"
).split()
FIRST_M = (
    "Marco Luca Andrea Matteo Alessandro Francesco Lorenzo Davide Simone Stefano "
    "Giovanni Paolo Roberto Giuseppe Antonio Riccardo Tommaso Leonardo Edoardo "
    "Pietro Filippo Giorgio Franco Sergio Enrico Massimo Claudio Bruno Mario Carlo"
).split()
SURNAMES = (
    "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
    "Gallo Conti De Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri "
    "Fontana Santoro Mariani Rinaldi Caruso Ferrara Galli Martini Leone Longo "
    "Gentile Martinelli Vitale Lombardo Serra Coppola De Santis D'Angelo Marchetti "
    "Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini "
    "Messina Sala De Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti"
).split()
STREETS = (
    "Via dell'Indipendenza",
    "Via Emilia Levante",
    "Via Saragozza",
    "Via San Vitale",
    "Via Mazzini",
    "Via Murri",
    "Via Andrea Costa",
    "Via Irnerio",
    "Via Massarenti",
    "Via Toscana",
    "Via Marconi",
    "Via del Pratello",
    "Via Castiglione",
    "Via Zamboni",
    "Viale Oriani",
)
CITIES = (
    ("Bologna", "40121"),
    ("Bologna", "40137"),
    ("Bologna", "40133"),
    ("Casalecchio di Reno", "40033"),
    ("San Lazzaro di Savena", "40068"),
    ("Castel Maggiore", "40013"),
    ("Zola Predosa", "40069"),
)
INQUIRIES = (
    ("web", "booking", "Prenotazione esame della vista dal sito"),
    ("phone", "inquiry", "Chiede se gli occhiali sono pronti"),
    ("app", "booking", "Prenotazione controllo lenti a contatto dall'app"),
    ("chat", "inquiry", "Domanda sul prezzo delle lenti giornaliere"),
    ("store", "visit", "Regolazione montatura"),
    ("phone", "complaint", "Lamenta graffio sulle lenti nuove"),
    ("email", "inquiry", "Chiede copia della fattura"),
    ("social", "message", "Messaggio su Instagram per occhiali da sole"),
)

EXAM_NOTES = (
    False,
    "Visus 10/10 con correzione.",
    "Consigliata pausa ogni ora al computer.",
    "Secchezza oculare lieve: lacrime artificiali.",
)
SUNGLASSES = ("sun_polarized", "sun_sport")
PRIVACY = "Modulo privacy firmato in negozio"
STOP = "Non desidera più ricevere promozioni"
SERVICE = "Avvisi occhiali pronti e promemoria controlli"


def _step(rng, low, high, step=0.25):
    return rng.randint(int(round(low / step)), int(round(high / step))) * step


def _rx_values(rng, age, kind):
    """Plausible values for one person (both eyes alike, as in real life)."""
    myope = rng.random() < (0.55 if age < 50 else 0.35)
    base = _step(rng, -6, -0.25) if myope else _step(rng, 0.25, 3.5)
    astig = rng.random() < 0.4
    vals = {"kind": kind}
    for eye in ("od", "os"):
        vals[f"{eye}_sphere"] = max(-30, min(30, base + _step(rng, -0.5, 0.5)))
        if astig:
            vals[f"{eye}_cylinder"] = _step(rng, -2.5, -0.25)
            vals[f"{eye}_axis"] = rng.randint(1, 180)
        if age >= 45 and kind == "spectacles":
            vals[f"{eye}_addition"] = min(3.0, 0.75 + 0.25 * ((age - 45) // 3))
    if kind == "spectacles":
        vals["pd"] = rng.randint(50, 58) if age < 14 else rng.randint(58, 70)
    else:
        vals["cl_base_curve"] = rng.choice((8.4, 8.5, 8.6, 8.7, 8.8))
        vals["cl_diameter"] = rng.choice((14.0, 14.1, 14.2))
    return vals


def _line(product, quantity=1.0, discount=0.0):
    return Command.create(
        {"product_id": product.id, "quantity": quantity, "discount": discount}
    )


class DemoShop:
    """Builds the demo shop step by step (one method per kind of record)."""

    def __init__(self, env):
        self.env = env
        self.rng = random.Random(SEED)
        self.today = fields.Date.context_today(env["res.partner"])
        self.start = self.today - relativedelta(years=3)
        self.company = env.company
        self.italy = env.ref("base.it")
        self.optometrist = env.ref("optical_crm.demo_user_optometrist")
        self.partners = env["res.partner"]
        self.people = []
        self.exams_by_partner = {}
        self.moves = env["account.move"]

    def product(self, xmlid):
        return self.env.ref(f"optical_crm.demo_product_{xmlid}")

    def day_between(self, low, high):
        return low + timedelta(days=self.rng.randint(0, max((high - low).days, 0)))

    def run(self):
        if self.company.name in ("YourCompany", "My Company"):
            self.company.write(
                {
                    "name": "Ottica Bellavista",
                    "street": "Via dell'Indipendenza 24",
                    "zip": "40121",
                    "city": "Bologna",
                    "phone": "+39 051 000 1234",
                    "email": "negozio@ottica-bellavista.example.com",
                }
            )
            self.company.partner_id.tz = "Europe/Rome"
        self.env["res.lang"]._activate_lang("it_IT")  # the customers speak Italian
        self.customers()
        self.exams()
        self.invoices()
        self.credit_notes()
        self.consents()
        self.touchpoints()

    # --- customers -----------------------------------------------------------
    def _name(self, used):
        rng = self.rng
        female = rng.random() < 0.55
        while True:
            first = rng.choice(FIRST_F if female else FIRST_M)
            last = rng.choice(SURNAMES)
            if (first, last) not in used:
                used.add((first, last))
                return first, last

    def customers(self):
        rng = self.rng
        bologna = self.env["res.country.state"].search(
            [("country_id", "=", self.italy.id), ("code", "=", "BO")], limit=1
        )
        vals_list, used = [], set()
        for index in range(1, CUSTOMERS + 1):
            first, last = self._name(used)
            age = rng.choice(
                (
                    rng.randint(5, 17),
                    rng.randint(18, 39),
                    rng.randint(40, 64),
                    rng.randint(40, 64),
                    rng.randint(65, 90),
                )
            )
            city, zip_code = rng.choice(CITIES)
            slug = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
            vals = {
                "name": f"{first} {last}",
                "ref": f"OTT-{index:04d}",
                "optical_birthdate": self.today
                - relativedelta(years=age, days=rng.randint(1, 364)),
                "street": f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
                "zip": zip_code,
                "city": city,
                "state_id": bologna.id,
                "country_id": self.italy.id,
                "lang": "it_IT",
                "customer_rank": 1,
            }
            if rng.random() < 0.9:
                vals["mobile"] = (
                    f"+39 3{rng.choice('234789')}{rng.randint(0, 9)} "
                    f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
                )
            if rng.random() < 0.7 and age >= 14:
                vals["email"] = f"{slug}{rng.randint(1, 99)}@example.com"
            if rng.random() < 0.25:
                vals["phone"] = (
                    f"+39 051 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
                )
            vals_list.append(vals)
            self.people.append(
                {
                    "age": age,
                    "first_visit": self.day_between(
                        self.start, self.today - timedelta(days=60)
                    ),
                    "cl": 16 <= age <= 55 and rng.random() < 0.3,
                }
            )
        self.partners = self.env["res.partner"].create(vals_list)

    # --- exams and prescriptions ---------------------------------------------
    def exams(self):
        rng = self.rng
        exam_vals, exam_people = [], []
        for partner, person in zip(self.partners, self.people, strict=True):
            if rng.random() > 0.8:
                continue
            visit = person["first_visit"]
            while visit <= self.today:
                exam_vals.append(
                    {
                        "partner_id": partner.id,
                        "date": visit,
                        "examiner_id": self.optometrist.id,
                        "company_id": self.company.id,
                        "note": rng.choice(EXAM_NOTES),
                    }
                )
                exam_people.append(person)
                visit += timedelta(days=rng.randint(330, 560))
        exams = self.env["optical.exam"].create(exam_vals)
        rx_vals = []
        for exam, person in zip(exams, exam_people, strict=True):
            kinds = ["spectacles"] + (["contact_lens"] if person["cl"] else [])
            for kind in kinds:
                rx_vals.append(
                    dict(
                        _rx_values(rng, person["age"], kind),
                        partner_id=exam.partner_id.id,
                        exam_id=exam.id,
                        date=exam.date,
                        prescriber_id=self.optometrist.id,
                        company_id=self.company.id,
                    )
                )
            self.exams_by_partner.setdefault(exam.partner_id.id, []).append(exam.date)
        self.env["optical.prescription"].create(rx_vals)

    # --- invoices --------------------------------------------------------------
    def _glasses(self, partner, age, exam_date):
        rng = self.rng
        frame = self.product(
            "frame_kids"
            if age < 14
            else rng.choice(("frame_classic", "frame_classic", "frame_titanium"))
        )
        progressive = age >= 45 and rng.random() < 0.7
        lens = self.product("lens_progressive" if progressive else "lens_single")
        lines = [_line(frame), _line(lens, 2)]
        if rng.random() < 0.3:
            lines.append(_line(self.product("acc_case")))
        when = min(exam_date + timedelta(days=rng.randint(0, 10)), self.today)
        return when, partner, lines

    def _contact_lenses(self, partner, person):
        rng = self.rng
        cl = self.product(
            rng.choice(("cl_daily", "cl_daily_90", "cl_monthly", "cl_biweekly"))
        )
        tmpl = cl.product_tmpl_id
        days, per_pack = (
            tmpl.optical_cl_replacement_days,
            tmpl.optical_cl_lenses_per_pack,
        )
        packs = 2 if days > 1 or per_pack > 30 else 4
        supply = packs * per_pack * days // 2
        when = person["first_visit"]
        while when <= self.today:
            lines = [_line(cl, packs)]
            if days > 1:
                lines.append(_line(self.product("care_solution"), 2))
            yield when, partner, lines
            when += timedelta(days=supply + rng.randint(-5, 40))

    def invoices(self):
        rng = self.rng
        invoices = []  # (date, partner, [line commands])
        for partner, person in zip(self.partners, self.people, strict=True):
            age = person["age"]
            since = person["first_visit"]
            for exam_date in self.exams_by_partner.get(partner.id, []):
                if rng.random() < 0.5:
                    invoices.append(
                        (exam_date, partner, [_line(self.product("exam_full"))])
                    )
                if rng.random() < 0.6:
                    invoices.append(self._glasses(partner, age, exam_date))
            extras = (
                (age >= 12 and rng.random() < 0.3, rng.choice(SUNGLASSES)),
                (age >= 50 and rng.random() < 0.1, "spectacles_ready"),
                (rng.random() < 0.08, "acc_cloth"),
            )
            for wanted, xmlid in extras:
                if wanted:
                    invoices.append(
                        (
                            self.day_between(since, self.today),
                            partner,
                            [_line(self.product(xmlid))],
                        )
                    )
            if person["cl"]:
                invoices.extend(self._contact_lenses(partner, person))
        invoices.sort(key=lambda item: (item[0], item[1].id))
        self.moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": when,
                    "company_id": self.company.id,
                    "invoice_line_ids": lines,
                }
                for when, partner, lines in invoices
            ]
        )
        self.moves.action_post()

    def credit_notes(self):
        """Two invoices refunded in full (goods returned), one partly."""
        for move in self.rng.sample(list(self.moves), 2):
            self.env["account.move.reversal"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create(
                {
                    "reason": "Reso merce",
                    "journal_id": move.journal_id.id,
                    "date": min(move.invoice_date + timedelta(days=7), self.today),
                }
            ).refund_moves()
        framed = self.moves.filtered(
            lambda m: "frame" in m.invoice_line_ids.mapped("optical_category")
        )
        origin = framed[len(framed) // 2]
        self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": origin.partner_id.id,
                "invoice_date": min(
                    origin.invoice_date + timedelta(days=3), self.today
                ),
                "reversed_entry_id": origin.id,
                "ref": "Sconto per ritardo consegna",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product("frame_classic").id,
                            "quantity": 1,
                            "price_unit": 20.0,
                        }
                    )
                ],
            }
        )
        self.env["account.move"].search(
            [
                ("move_type", "=", "out_refund"),
                ("state", "=", "draft"),
                ("partner_id", "in", self.partners.ids),
            ]
        ).action_post()

    # --- consents and touchpoints ------------------------------------------------
    def _consent(self, partner, channel, purpose, granted, when, source, note):
        return {
            "partner_id": partner.id,
            "channel": channel,
            "purpose": purpose,
            "granted": granted,
            "date": when,
            "source": source,
            "note": note,
            "user_id": self.optometrist.id,
        }

    def consents(self):
        rng = self.rng
        vals_list = []
        now = fields.Datetime.now()
        for partner, person in zip(self.partners, self.people, strict=True):
            first = datetime.combine(
                person["first_visit"], time(10, rng.randint(0, 59))
            )
            channels = [("sms", 0.8, partner.mobile), ("email", 0.6, partner.email)]
            for channel, probability, address in channels:
                if not address:
                    continue
                granted = rng.random() < probability
                vals_list.append(
                    self._consent(
                        partner, channel, "marketing", granted, first, "store", PRIVACY
                    )
                )
                if granted and rng.random() < 0.1:
                    later = first + timedelta(days=rng.randint(30, 600))
                    source = rng.choice(("phone", "unsubscribe"))
                    vals_list.append(
                        self._consent(
                            partner, channel, "marketing", False, later, source, STOP
                        )
                    )
            if partner.mobile:
                vals_list.append(
                    self._consent(
                        partner, "sms", "service", True, first, "store", SERVICE
                    )
                )
        self.env["optical.consent"].create(
            [vals for vals in vals_list if vals["date"] <= now]
        )

    def touchpoints(self):
        rng = self.rng
        vals_list = []
        for number, partner in enumerate(rng.sample(list(self.partners), 60)):
            channel, kind, summary = rng.choice(INQUIRIES)
            moment = datetime.combine(
                self.day_between(self.start, self.today - timedelta(days=1)),
                time(rng.randint(8, 17), rng.randint(0, 59)),
            )
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "datetime": moment,
                    "channel": channel,
                    "kind": kind,
                    "summary": summary,
                    "source": "demo",
                    "external_ref": f"demo-{number}",
                    "company_id": self.company.id,
                }
            )
        self.env["optical.touchpoint"].create(vals_list)


def generate(env):
    if env["res.partner"].search_count([("ref", "=", "OTT-0001")]):
        return  # already there
    DemoShop(env).run()
