import base64
import csv
import io
import itertools
from datetime import date
from pathlib import Path

from odoo.exceptions import AccessError, UserError
from odoo.modules.module import get_module_path
from odoo.tests import Form, tagged

from ..tools import csv_files
from .common import OpticalCase, has_consent_api

SAMPLES = Path(get_module_path("optical_crm")).parent / "data" / "legacy_import"

CUSTOMERS = (
    "Codice cliente;Cognome;Nome;Data di nascita;Città;Provincia;Cellulare;"
    "E-mail;Note\r\n"
    "X001;Rossi;Mario;12/04/1958;Bologna;BO;333 123 4501;mario@example.com;\r\n"
    "X002;Verdi;Anna;31/02/1980;Bologna;BO;;;\r\n"
    "X003;Neri;Luca;01/01/1990;Forlì;FC;12;;\r\n"
    "X004;Bruni;Sara;01/01/1990;Modena;MO;;sara@;\r\n"
    "X005;;Ugo;01/01/1990;;;;;\r\n"
    "X006;Galli;Teresa;30/01/1941;Ravenna;XX;;;\r\n"
)


class ImportCase(OpticalCase):
    """Legacy import wizards of a manager, from a text or a sample file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Wizard = cls.env["optical.import.wizard"].with_user(cls.manager)

    def _wizard(self, content, import_type="customers", encoding="utf-8", name="f.csv"):
        raw = content if isinstance(content, bytes) else content.encode(encoding)
        return self.Wizard.create(
            {
                "import_type": import_type,
                "data_file": base64.b64encode(raw),
                "filename": name,
            }
        )

    def _sample(self, name, import_type):
        return self._wizard(
            (SAMPLES / name).read_bytes(), import_type=import_type, name=name
        )

    def _partners(self, refs):
        return self.env["res.partner"].search([("ref", "in", refs)])


@tagged("post_install", "-at_install")
class TestImport(ImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.monthly = cls.env["product.product"].create(
            {
                "name": "Mensili 6",
                "default_code": "LAC-MEN-06",
                "optical_category": "contact_lens",
                "optical_cl_replacement_days": 30,
                "optical_cl_lenses_per_pack": 6,
            }
        )

    def _statuses(self, wizard):
        return {line.reference: line.status for line in wizard.line_ids}

    def test_dry_run_writes_nothing_and_reports_every_row(self):
        wizard = self._wizard(CUSTOMERS, encoding="cp1252")
        wizard.action_check()
        self.assertEqual(wizard.state, "checked")
        self.assertEqual(wizard.encoding, "Windows-1252")
        self.assertFalse(self._partners(["X001", "X002", "X003"]))
        self.assertEqual(len(wizard.line_ids), 6)
        self.assertEqual((wizard.count_new, wizard.count_rejected), (1, 5))
        messages = {line.reference: line.message for line in wizard.line_ids}
        self.assertIn("is not a date (use dd/mm/yyyy)", messages["X002"])
        self.assertIn("not a valid phone number", messages["X003"])
        self.assertIn("not a valid address", messages["X004"])
        self.assertIn("surname (Cognome) is empty", messages["X005"])
        self.assertIn("not an Italian province code", messages["X006"])

    def test_import_valid_rows_and_download_rejected(self):
        wizard = self._wizard(CUSTOMERS)
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        mario = self._partners(["X001"])
        self.assertEqual(mario.name, "Mario Rossi")
        self.assertEqual(mario.optical_birthdate, date(1958, 4, 12))
        self.assertEqual(mario.mobile, "+393331234501")
        self.assertEqual(mario.state_id.code, "BO")
        self.assertEqual(mario.country_id.code, "IT")
        self.assertFalse(self._partners(["X002", "X003", "X004", "X005", "X006"]))
        self.assertEqual(wizard.rejected_filename, "f_scartate.csv")
        rejected = base64.b64decode(wizard.rejected_file).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(rejected), delimiter=";"))
        self.assertEqual(rows[0][-1], "Motivo dello scarto")
        self.assertEqual(
            [row[0] for row in rows[1:]], ["X002", "X003", "X004", "X005", "X006"]
        )
        self.assertIn("dd/mm/yyyy", rows[1][-1])
        # the same file again changes nothing
        again = self._wizard(CUSTOMERS)
        again.action_import()
        self.assertEqual(self._statuses(again)["X001"], "unchanged")
        self.assertEqual(len(self._partners(["X001"])), 1)

    def test_rejected_rows_cannot_run_as_formulas(self):
        content = (
            "Codice cliente;Cognome;Nome;Note\r\n"
            'F001;;"=HYPERLINK(""http://x.example"";""Apri"")";\r\n'
            "F002;;+cmd|' /C calc'!A0;\r\n"
            "F003;;-2+3;@SUM(A1:A9)\r\n"
            'F004;;"\tTab";"\rCR"\r\n'
            "F005;;-2,75;+393331234567\r\n"
        )
        wizard = self._wizard(content)
        wizard.action_import()
        self.assertEqual(wizard.count_rejected, 5)
        rejected = base64.b64decode(wizard.rejected_file).decode("utf-8-sig")
        rows = {
            row[0]: row[1:]
            for row in csv.reader(io.StringIO(rejected, newline=""), delimiter=";")
        }
        self.assertEqual(rows["F001"][1], '\'=HYPERLINK("http://x.example";"Apri")')
        self.assertEqual(rows["F002"][1], "'+cmd|' /C calc'!A0")
        self.assertEqual(rows["F003"][1:3], ["'-2+3", "'@SUM(A1:A9)"])
        self.assertEqual(rows["F004"][1:3], ["'\tTab", "'\rCR"])
        # plain numbers stay numbers
        self.assertEqual(rows["F005"][1:3], ["-2,75", "+393331234567"])
        for cells in rows.values():
            for cell in cells:
                if cell.startswith(csv_files.FORMULA_STARTS):
                    self.assertRegex(cell, r"^[+-]\d+(,\d+)?$")
        # the file sent back, corrected, imports the original values
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        for row in csv.reader(io.StringIO(rejected, newline=""), delimiter=";"):
            writer.writerow(row[:1] + [row[1] or "Rossi"] + row[2:])
        again = self._wizard(out.getvalue())
        again.action_import()
        self.assertEqual(again.count_new, 5, again.line_ids.mapped("message"))
        self.assertEqual(self._partners(["F003"]).comment, "<p>@SUM(A1:A9)</p>")
        self.assertEqual(self._partners(["F002"]).name, "+cmd|' /C calc'!A0 Rossi")

    def test_reading_stops_at_the_limits(self):
        limit = 50000
        # twice the limit: the error names the limit, not the file's row count
        # (which it could only give after reading every row)
        content = "Codice cliente;Cognome\r\n" + "".join(
            f"R{i};Rossi\r\n" for i in range(2 * limit)
        )
        with self.assertRaisesRegex(UserError, "more than 50000 rows"):
            self._wizard(content).action_check()
        # a source with no end is read up to the first row beyond the limit
        read = itertools.count()

        def endless():
            yield "Codice cliente;Cognome\r\n"
            while True:
                yield f"R{next(read)};Rossi\r\n"

        with self.assertRaises(csv_files.TooManyRows):
            csv_files.read_rows(endless(), 100)
        self.assertEqual(next(read), 101)
        # a file over the size limit is refused before it is decoded
        big = self.Wizard.new(
            {
                "import_type": "customers",
                "data_file": base64.b64encode(b"x" * (21 << 20)),
            }
        )
        with self.assertRaisesRegex(UserError, "larger than 20 MB"):
            big.action_check()

    def test_customers_of_another_shop_are_not_matched(self):
        """A user working in two shops imports into the current one only."""
        shop_b = self.env["res.company"].create({"name": "Ottica B"})
        self.env.user.company_ids |= shop_b
        bruno = self.env["res.partner"].create(
            {
                "name": "Bruno Neri",
                "ref": "B001",
                "email": "bruno@example.com",
                "company_id": shop_b.id,
            }
        )
        Wizard = self.env["optical.import.wizard"].with_context(
            allowed_company_ids=[self.env.company.id, shop_b.id]
        )
        purchases = Wizard.create(
            {
                "import_type": "purchases",
                "data_file": base64.b64encode(
                    b"Codice cliente;Data;Descrizione\r\nB001;01/02/2024;Montatura\r\n"
                ),
            }
        )
        purchases.action_import()
        self.assertEqual(purchases.count_rejected, 1)
        self.assertIn("no customer with code B001", purchases.line_ids.message)
        self.assertFalse(bruno.optical_touchpoint_ids)
        customers = Wizard.create(
            {
                "import_type": "customers",
                "data_file": base64.b64encode(
                    b"Codice cliente;Cognome;Nome;E-mail\r\n"
                    b"B001;Neri;Bruno;bruno@example.com\r\n"
                ),
            }
        )
        customers.action_import()
        self.assertEqual(customers.count_new, 1)
        self.assertEqual(len(self._partners(["B001"])), 2)
        self.assertEqual(bruno.company_id, shop_b)

    def test_existing_values_are_kept(self):
        existing = self.env["res.partner"].create(
            {"name": "Mario Rossi", "email": "mario@example.com", "city": "Imola"}
        )
        wizard = self._wizard(CUSTOMERS)
        wizard.action_import()
        self.assertEqual(self._statuses(wizard)["X001"], "updated")
        self.assertEqual(existing.ref, "X001", "matched by email, not duplicated")
        self.assertEqual(existing.city, "Imola")
        self.assertEqual(existing.optical_birthdate, date(1958, 4, 12))
        line = wizard.line_ids.filtered(lambda line: line.reference == "X001")
        self.assertIn("Kept the values already in Odoo", line.message)

    def test_file_level_errors(self):
        for content, message in (
            (b"", "Choose the CSV file"),
            (b"\r\n \r\n", "empty"),
            (b"Codice cliente;Cognome\r\n", "no rows"),
            (b"Nome;Telefono\r\nMario;051\r\n", "Required columns missing"),
            (b"\x00\x01PK\x03\x04", "not a CSV"),
        ):
            with self.assertRaisesRegex(UserError, message):
                self._wizard(content).action_check()
        with self.assertRaisesRegex(UserError, "Choose the CSV file"):
            self.Wizard.new({"import_type": "customers"})._decode()

    def test_form(self):
        form = Form(self.Wizard)
        form.import_type = "customers"
        form.data_file = base64.b64encode(CUSTOMERS.encode())
        wizard = form.save()
        action = wizard.action_check()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.count_rejected, 5)

    def test_samples_import_cleanly_and_idempotently(self):
        sets = (
            ("clienti.csv", "customers", 12),
            ("ricette.csv", "prescriptions", 10),
            ("acquisti.csv", "purchases", 20),
        )
        if not has_consent_api(self.env):
            # consents are imported through the consent ledger API
            content = (SAMPLES / "clienti.csv").read_bytes().decode("cp1252")
            lines = [";".join(line.split(";")[:12]) for line in content.splitlines()]
            wizard = self._wizard("\r\n".join(lines), name="clienti.csv")
            wizard.action_import()
            self.assertEqual(wizard.count_new, 12)
            sets = sets[1:]
        for name, import_type, count in sets:
            wizard = self._sample(name, import_type)
            wizard.action_check()
            self.assertEqual(
                (wizard.count_new, wizard.count_rejected), (count, 0), name
            )
            wizard.action_import()
            self.assertEqual(wizard.count_new, count, name)
            again = self._sample(name, import_type)
            again.action_import()
            self.assertEqual(again.count_unchanged, count, name)
            self.assertFalse(again.rejected_file)
        niccolo = self._partners(["000103"])
        self.assertEqual(niccolo.name, "Niccolò Ferretti")
        self.assertEqual(niccolo.city, "Ferrara")
        rx = self.env["optical.prescription"].search(
            [("partner_id", "=", self._partners(["000105"]).id)]
        )
        self.assertEqual((rx.od_sphere, rx.od_cylinder, rx.od_axis), (-4, -1.25, 15))
        self.assertEqual((rx.od_prism, rx.od_prism_base), (1, "in"))
        elisa = self._partners(["000108"])
        cl_rx = elisa.optical_prescription_ids
        self.assertEqual((cl_rx.kind, cl_rx.cl_base_curve), ("contact_lens", 8.7))
        # imported purchases feed the profile
        self.assertEqual(elisa.optical_last_purchase_date, date(2021, 12, 15))
        self.assertEqual(elisa.optical_ltv, 252)
        self.assertEqual(elisa.optical_last_prescription_date, date(2021, 6, 1))
        giulia = self._partners(["000106"])
        self.assertEqual(giulia.optical_ltv, 335)
        # her "Controllo della vista" line is her eye exam of that day, once
        self.assertEqual(giulia.optical_exam_ids.mapped("date"), [date(2023, 5, 5)])

    def test_sample_with_errors_rejects_each_wrong_row(self):
        wizard = self._sample("clienti_con_errori.csv", "customers")
        wizard.action_check()
        statuses = self._statuses(wizard)
        self.assertEqual(statuses.pop("000206"), "new")
        self.assertEqual(set(statuses.values()), {"rejected"}, statuses)
        self.assertEqual(len(statuses), 5)
        self.assertIn(
            "bruno.conte@example",
            wizard.line_ids.filtered(lambda line: line.reference == "000204").message,
        )

    def test_prescription_errors_are_reported(self):
        self.env["res.partner"].create({"name": "Anna", "ref": "R1"})
        content = (
            "Codice cliente;Data;Tipo;OD Sfera;OD Cilindro;OD Asse;OS Sfera;DIP\r\n"
            "R1;01/02/2023;Occhiali;-1,10;;;-1,00;62\r\n"
            "R1;01/02/2023;Occhiali;-1,00;-0,50;;-1,00;62\r\n"
            "R1;01/02/2023;Binocolo;-1,00;;;-1,00;62\r\n"
            "R9;01/02/2023;Occhiali;-1,00;;;-1,00;62\r\n"
            "R1;01/02/2023;Occhiali;-1,00;-0,50;90,5;-1,00;62\r\n"
            "R1;03/02/2023;Lenti a contatto;-1,00;;;-1,00;abc\r\n"
            "R1;04/02/2023;Occhiali;-1,00;-0,50;90;-1,00;62\r\n"
        )
        wizard = self._wizard(content, import_type="prescriptions")
        wizard.action_import()
        messages = [line.message for line in wizard.line_ids]
        self.assertIn("sphere must be between", messages[0])
        self.assertIn("axis is required", messages[1])
        self.assertIn("unknown value 'Binocolo'", messages[2])
        self.assertIn("no customer with code R9", messages[3])
        self.assertIn("whole number of degrees", messages[4])
        self.assertIn("'abc' is not a number", messages[5])
        self.assertEqual(wizard.line_ids.mapped("status")[-1], "new")
        rx = self.env["optical.prescription"].search([("partner_id.ref", "=", "R1")])
        self.assertEqual(len(rx), 1)
        self.assertEqual(rx.od_axis, 90)

    def test_purchases_feed_the_runout(self):
        self.env["res.partner"].create({"name": "Anna", "ref": "P1"})
        content = (
            "Codice cliente;Data;Documento;Codice articolo;Descrizione;Quantità;"
            "Importo\r\n"
            "P1;01/02/2023;SC 1;LAC-MEN-06;Mensili;2;1.234,50\r\n"
            "P1;01/02/2023;SC 1;LAC-MEN-06;Mensili;1;10\r\n"
            "P1;01/02/2999;SC 2;LAC-MEN-06;Mensili;1;10\r\n"
            "P1;01/03/2023;SC 3;;;1;10\r\n"
        )
        wizard = self._wizard(content, import_type="purchases")
        wizard.action_import()
        self.assertEqual(
            wizard.line_ids.mapped("status"), ["new", "new", "rejected", "rejected"]
        )
        anna = self._partners(["P1"])
        # 3 packs x 6 lenses x 30 days / 2 = 270 days
        self.assertEqual(anna.optical_cl_runout_date, date(2023, 10, 29))
        self.assertEqual(anna.optical_ltv, 1244.5)
        self.assertEqual(anna.optical_last_purchase_date, date(2023, 2, 1))

    def test_import_is_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["optical.import.wizard"].with_user(self.optometrist).create(
                {"import_type": "prescriptions"}
            )

    def test_consents_imported_once_and_never_over_newer_choices(self):
        if not has_consent_api(self.env):
            self.skipTest("the consent ledger API (res.partner) is not installed")
        content = (
            "Codice cliente;Cognome;Nome;Consenso SMS;Consenso e-mail;Data consenso\r\n"
            "C1;Rossi;Mario;Sì;No;15/03/2019\r\n"
            "C2;Verdi;Anna;Forse;;\r\n"
        )
        wizard = self._wizard(content)
        wizard.action_import()
        self.assertIn("neither yes", wizard.line_ids[1].message)
        mario = self._partners(["C1"])
        ledger = self.env["optical.consent"].search([("partner_id", "=", mario.id)])
        self.assertEqual(
            sorted(ledger.mapped(lambda c: (c.channel, c.granted, c.source))),
            [("email", False, "import"), ("sms", True, "import")],
        )
        self.assertIn("15/03/2019", ledger[0].note)
        self._wizard(content).action_import()
        self.assertEqual(len(ledger.search([("partner_id", "=", mario.id)])), 2)
        # the customer unsubscribes in Odoo; an old export does not undo it
        mario._optical_record_consent("sms", "marketing", False, "unsubscribe")
        self._wizard(content).action_import()
        latest = ledger.search(
            [("partner_id", "=", mario.id), ("channel", "=", "sms")],
            order="date desc, id desc",
            limit=1,
        )
        self.assertEqual((latest.granted, latest.source), (False, "unsubscribe"))
