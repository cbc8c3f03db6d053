"""Exports of other software than the one the legacy import was first written
for: English and abbreviated column names, values with units, columns the shop
maps itself, services and eye exams sold."""

import base64
from datetime import date

from odoo.exceptions import UserError, ValidationError
from odoo.tests import BaseCase, Form, new_test_user, tagged

from ..tools import legacy_columns
from .test_import import ImportCase


@tagged("post_install", "-at_install")
class TestLegacyColumns(BaseCase):
    """The tables and parsers of ``tools/legacy_columns`` (plain Python)."""

    def test_eye_columns_with_any_name_and_separator(self):
        key = legacy_columns.column_key
        for title, expected in (
            ("OD AX", "od_axis"),
            ("OS AX", "os_axis"),
            ("OD.AX", "od_axis"),
            ("OD_AX", "od_axis"),
            ("os-ax", "os_axis"),
            ("AX OD", "od_axis"),
            ("ODAX", "od_axis"),
            ("AXOS", "os_axis"),
            ("OD Asse", "od_axis"),
            ("Axis OS", "os_axis"),
            ("OD CIL", "od_cylinder"),
            ("OS CYL", "os_cylinder"),
            ("SF DX", "od_sphere"),
            ("OS SFERA", "os_sphere"),
            ("OD SPH", "od_sphere"),
            ("Right sphere", "od_sphere"),
            ("OD ADD", "od_addition"),
            ("ADDIZIONE OS", "os_addition"),
            ("OD DP", "od_pd"),
            ("PD OS", "os_pd"),
            ("OD.DIP", "od_pd"),
            ("OD RB", "od_cl_base_curve"),
            ("BC OS", "os_cl_base_curve"),
            ("DIAM OD", "od_cl_diameter"),
            ("OS DIA", "os_cl_diameter"),
            # once for both eyes
            ("ADD", "addition"),
            ("DP", "pd"),
            ("PD", "pd"),
            ("DIP", "pd"),
            ("RB", "cl_base_curve"),
            ("BC", "cl_base_curve"),
            ("DIAM", "cl_diameter"),
            ("DIA", "cl_diameter"),
            ("Cust code", "code"),
            ("Rx date", "date"),
            # not a value of one eye
            ("AX", None),
            ("Optometrist", None),
            # "os" glued to a word that is not an eye's value
            ("Osservazioni", "note"),
            ("Ossigeno", None),
            ("OD", None),
        ):
            self.assertEqual(key("prescriptions", title), expected, title)

    def test_english_headers(self):
        key = legacy_columns.column_key
        for kind, title, expected in (
            ("customers", "Cust code", "code"),
            ("customers", "Customer code", "code"),
            ("customers", "Surname", "last_name"),
            ("customers", "Last name", "last_name"),
            ("customers", "Name", "first_name"),
            ("customers", "First name", "first_name"),
            ("customers", "Birth date", "birthdate"),
            ("customers", "Mobile", "mobile"),
            ("customers", "E-mail", "email"),
            ("customers", "Prov.", "province"),
            ("customers", "Loyalty card", None),
            ("purchases", "Cust code", "code"),
            ("purchases", "Date", "date"),
            ("purchases", "Doc no", "document"),
            ("purchases", "Product code", "product_code"),
            ("purchases", "Description", "description"),
            ("purchases", "Category", "category"),
            ("purchases", "Qty", "quantity"),
            ("purchases", "Amount", "amount"),
            ("purchases", "Operator", None),
            # an eye's value means nothing in a purchase file
            ("purchases", "OD AX", None),
        ):
            self.assertEqual(key(kind, title), expected, f"{kind}: {title}")

    def test_values_as_shops_write_them(self):
        parse = legacy_columns.parse_number
        for text, expected in (
            ("180°", 180),
            ("90 gradi", 90),
            ("+2,00", 2),
            ("-0,50 dt", -0.5),
            ("-0,50dpt", -0.5),
            ("+1,25 D", 1.25),
            ("\u22121,75", -1.75),
            ("2.00", 2),
            ("64 mm", 64),
            ("PL", 0),
            ("", 0),
            ("1.234", 1.234),
        ):
            self.assertEqual(parse(text), expected, text)
        self.assertEqual(parse("€ 1.234,50", amount=True), 1234.5)
        self.assertEqual(parse("1.234", amount=True), 1234)
        for text in ("abc", "1,2,3", "+", "PL €"):
            with self.assertRaises(ValueError, msg=text):
                parse(text, amount=True)
        self.assertEqual(
            legacy_columns.parse_date("15/03/2019 10:30"), date(2019, 3, 15)
        )
        self.assertEqual(
            legacy_columns.parse_date("2019-03-15T10:30:00"), date(2019, 3, 15)
        )
        with self.assertRaises(ValueError):
            legacy_columns.parse_date("31/02/2019")
        self.assertIs(legacy_columns.parse_bool("Yes"), True)
        self.assertIs(legacy_columns.parse_bool("No"), False)

    def test_service_and_exam_lines(self):
        category = legacy_columns.purchase_category
        for cat, description, expected in (
            ("Servizi", "Controllo della vista", ("eye_exam", True)),
            ("Services", "Eye exam", ("eye_exam", True)),
            ("", "Eye test", ("eye_exam", True)),
            ("Esame della vista", "Visita", ("eye_exam", True)),
            ("Servizi", "Refrazione", ("eye_exam", True)),
            ("Servizi", "Pulizia ultrasuoni", (None, True)),
            ("Riparazione", "Saldatura aste", (None, True)),
            ("Montatura", "Montatura + controllo vista omaggio", ("frame", True)),
            ("Frames", "Metal frame", ("frame", True)),
            ("Varie", "Buono regalo", (None, False)),
        ):
            self.assertEqual(category(cat, description), expected, description)

    def test_values_for_both_eyes(self):
        vals = {
            "addition": 2.0,
            "os_addition": 2.25,
            "od_cl_base_curve": 8.6,
            "os_cl_base_curve": 8.7,
            "os_cl_diameter": 14.2,
        }
        differences = legacy_columns.merge_eye_values(vals)
        self.assertEqual(
            vals,
            {
                "od_addition": 2.0,
                "os_addition": 2.25,
                "cl_base_curve": 8.6,
                "cl_diameter": 14.2,
            },
        )
        self.assertEqual(differences, [("cl_base_curve", 8.6, 8.7)])


@tagged("post_install", "-at_install")
class TestImportRealExports(ImportCase):
    """Exports of other software: other column names, value forms, unknown
    columns mapped by the shop, services and eye exams sold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Mapping = cls.env["optical.import.mapping"]

    def _targets(self, wizard):
        return {c.header: (c.target, c.remembered) for c in wizard.column_ids}

    def test_axis_columns_are_read(self):
        self.env["res.partner"].create({"name": "Anna", "ref": "A1"})
        content = (
            "Cust code;Rx date;OD SPH;OD CYL;OD AX;OS.SPH;OS.CYL;OS.AX;ADD;PD\r\n"
            "A1;01/02/2023;+1,00;-0,50 dt;180°;2.00;-0,75;90°;+2,00;64\r\n"
        )
        wizard = self._wizard(content, import_type="prescriptions")
        wizard.action_check()
        self.assertEqual((wizard.count_new, wizard.count_rejected), (1, 0))
        self.assertFalse(wizard.column_ids, "every column is recognised")
        wizard.action_import()
        rx = self.env["optical.prescription"].search([("partner_id.ref", "=", "A1")])
        self.assertEqual(
            (rx.od_sphere, rx.od_cylinder, rx.od_axis, rx.od_addition),
            (1, -0.5, 180, 2),
        )
        self.assertEqual(
            (rx.os_sphere, rx.os_cylinder, rx.os_axis, rx.os_addition),
            (2, -0.75, 90, 2),
        )
        self.assertEqual(rx.pd, 64)

    def test_unrecognised_columns_are_mapped_and_remembered_per_shop(self):
        content = (
            "Cust code;Cognome cliente;Name;Tessera;Mobile\r\n"
            "M1;Rossi;Mario;T-77;333 123 4501\r\n"
            "M2;Verdi;Anna;T-78;\r\n"
        )
        wizard = self._wizard(content)
        wizard.action_check()
        # the surname is not recognised: the check lists the columns to map
        self.assertEqual(wizard.state, "checked")
        self.assertIn("Required columns missing", wizard.missing_columns)
        self.assertFalse(wizard.line_ids)
        self.assertEqual(
            self._targets(wizard),
            {"Cognome cliente": (False, False), "Tessera": (False, False)},
        )
        with self.assertRaisesRegex(UserError, "Required columns missing"):
            wizard.action_import()
        form = Form(wizard)
        with form.column_ids.edit(0) as column:
            column.target = "last_name"
        with form.column_ids.edit(1) as column:
            column.target = "ignore"
        form.save().action_check()
        self.assertFalse(wizard.missing_columns)
        self.assertEqual((wizard.count_new, wizard.count_rejected), (2, 0))
        self.assertFalse(self._partners(["M1", "M2"]), "a check writes nothing")
        self.assertFalse(self.Mapping.search([("column_name", "=", "tessera")]))
        wizard.action_import()
        self.assertEqual(self._partners(["M1"]).name, "Mario Rossi")
        self.assertEqual(
            {(m.column_name, m.target) for m in self.Mapping.search([])},
            {("cognome cliente", "last_name"), ("tessera", "ignore")},
        )
        # the shop's next file of customers: mapped as it said, still editable
        later = self._wizard(content.replace("M1;", "M3;").replace("M2;", "M4;"))
        later.action_check()
        self.assertEqual(
            self._targets(later),
            {"Cognome cliente": ("last_name", True), "Tessera": ("ignore", True)},
        )
        later.action_import()
        self.assertEqual(later.count_new, 2)
        self.assertEqual(self._partners(["M3"]).name, "Mario Rossi")
        # a file of another kind does not use them
        purchases = self._wizard(
            "Cust code;Date;Tessera\r\nM1;01/02/2023;T-77\r\n", import_type="purchases"
        )
        purchases.action_check()
        self.assertEqual(self._targets(purchases), {"Tessera": (False, False)})
        # another shop sees none of them
        shop_b = self.env["res.company"].create({"name": "Ottica B"})
        manager_b = new_test_user(
            self.env,
            "import_manager_b",
            groups="optical_crm.group_optical_manager",
            company_id=shop_b.id,
            company_ids=[shop_b.id],
        )
        self.assertFalse(self.Mapping.with_user(manager_b).search([]))
        other = (
            self.env["optical.import.wizard"]
            .with_user(manager_b)
            .create(
                {
                    "import_type": "customers",
                    "data_file": base64.b64encode(content.encode()),
                }
            )
        )
        other.action_check()
        self.assertTrue(other.missing_columns)
        self.assertEqual(
            self._targets(other),
            {"Cognome cliente": (False, False), "Tessera": (False, False)},
        )

    def test_two_columns_cannot_hold_the_same_value(self):
        wizard = self._wizard("Cust code;Cognome;Cognome 2\r\nM1;Rossi;Bianchi\r\n")
        wizard.action_check()
        self.assertEqual(self._targets(wizard), {"Cognome 2": (False, False)})
        wizard.column_ids.target = "last_name"
        with self.assertRaisesRegex(UserError, "Cognome and Cognome 2 hold the same"):
            wizard.action_check()
        # a mapping holds a value of its kind of file
        with self.assertRaisesRegex(ValidationError, "cannot hold 'od_axis'"):
            self.Mapping.create(
                {"import_type": "customers", "column_name": "x", "target": "od_axis"}
            )

    def test_service_lines_are_sales_and_eye_exams_are_recorded_once(self):
        anna = self.env["res.partner"].create({"name": "Anna", "ref": "S1"})
        content = (
            "Cust code;Date;Doc no;Description;Category;Qty;Amount\r\n"
            "S1;10/01/2023;R 12;Controllo della vista;Servizi;1;€ 40,00\r\n"
            "S1;10/01/2023;R 12;Refraction;Services;1;10,00\r\n"
            "S1;10/01/2023;R 12;Riparazione aste;Riparazione;1;15,00\r\n"
            "S1;10/01/2023;R 12;Buono regalo;Varie;1;50,00\r\n"
            "S1;05/03/2024;R 40;Eye exam;Services;1;35,00\r\n"
        )
        wizard = self._wizard(content, import_type="purchases")
        wizard.action_check()
        self.assertEqual((wizard.count_new, wizard.count_rejected), (5, 0))
        self.assertFalse(anna.optical_exam_ids, "a check writes nothing")
        wizard.action_import()
        self.assertEqual((wizard.count_new, wizard.count_rejected), (5, 0))
        messages = wizard.line_ids.mapped("message")
        self.assertEqual(messages[0], "Eye exam recorded.")
        self.assertEqual(messages[1], "The eye exam of that day is already recorded.")
        self.assertFalse(messages[2])
        self.assertIn("'Varie' is not an optical category", messages[3])
        purchases = self.env["optical.touchpoint"].search(
            [("partner_id", "=", anna.id), ("kind", "=", "purchase")],
            order="external_ref",
        )
        self.assertEqual(
            sorted((p.summary, p.optical_category, p.amount) for p in purchases),
            [
                ("R 12 - Buono regalo", False, 50),
                ("R 12 - Controllo della vista", "eye_exam", 40),
                ("R 12 - Refraction", "eye_exam", 10),
                ("R 12 - Riparazione aste", False, 15),
                ("R 40 - Eye exam", "eye_exam", 35),
            ],
        )
        exams = anna.optical_exam_ids
        self.assertEqual(
            sorted(exams.mapped("date")), [date(2023, 1, 10), date(2024, 3, 5)]
        )
        self.assertFalse(exams.examiner_id)
        self.assertEqual(anna.optical_ltv, 150)
        again = self._wizard(content, import_type="purchases")
        again.action_import()
        self.assertEqual(again.count_unchanged, 5)
        anna.invalidate_recordset()
        self.assertEqual(anna.optical_exam_ids, exams)
        # an exam recorded in Odoo on that day is the one the line sold
        bruno = self.env["res.partner"].create({"name": "Bruno", "ref": "S2"})
        exam = self.env["optical.exam"].create(
            {"partner_id": bruno.id, "date": "2024-03-05"}
        )
        sold = self._wizard(
            "Cust code;Date;Description;Category\r\n"
            "S2;05/03/2024;Controllo della vista;Servizi\r\n",
            import_type="purchases",
        )
        sold.action_import()
        self.assertEqual(sold.count_new, 1)
        self.assertEqual(bruno.optical_exam_ids, exam)

    def test_second_sample_imports_every_row(self):
        sets = (
            ("customers_en.csv", "customers", 6, {"Loyalty card"}),
            ("prescriptions_en.csv", "prescriptions", 7, set()),
            ("purchases_en.csv", "purchases", 12, {"Operator"}),
        )
        for name, import_type, count, unknown in sets:
            wizard = self._sample(name, import_type)
            wizard.action_check()
            self.assertEqual(
                (wizard.count_new, wizard.count_rejected),
                (count, 0),
                [(line.reference, line.message) for line in wizard.line_ids],
            )
            self.assertEqual(set(wizard.column_ids.mapped("header")), unknown, name)
            wizard.action_import()
            self.assertEqual((wizard.count_new, wizard.count_rejected), (count, 0))
            again = self._sample(name, import_type)
            again.action_import()
            self.assertEqual(again.count_unchanged, count, name)
        laura, marco, chiara, davide, tommaso = (
            self._partners([code])
            for code in ("C2001", "C2002", "C2003", "C2004", "C2006")
        )
        self.assertEqual(laura.name, "Laura Ricci")
        self.assertEqual(laura.mobile, "+393334102201")
        self.assertEqual(laura.state_id.code, "BO")
        rx = laura.optical_prescription_ids
        self.assertEqual(
            (rx.od_sphere, rx.od_cylinder, rx.od_axis, rx.os_axis, rx.pd),
            (2, -0.5, 180, 175, 62),
        )
        self.assertEqual(
            (
                marco.optical_prescription_ids.os_addition,
                davide.optical_prescription_ids.od_cylinder,
            ),
            (2, -0.5),
        )
        cl_rx = chiara.optical_prescription_ids.filtered(
            lambda rx: rx.kind == "contact_lens"
        )
        self.assertEqual((cl_rx.cl_base_curve, cl_rx.cl_diameter), (8.6, 14.5))
        # eye exams sold as services: one exam each, on the day of the sale
        for partner, day in (
            (laura, date(2023, 1, 10)),
            (marco, date(2022, 3, 5)),
            (chiara, date(2023, 9, 22)),
            (tommaso, date(2024, 6, 12)),
        ):
            self.assertEqual(partner.optical_exam_ids.mapped("date"), [day])
        repair = self.env["optical.touchpoint"].search(
            [("partner_id", "=", davide.id), ("kind", "=", "purchase")]
        )
        self.assertEqual((repair.optical_category, repair.amount), (False, 15))
        self.assertEqual(laura.optical_ltv, 380)
        self.assertEqual(marco.optical_ltv, 1075)
