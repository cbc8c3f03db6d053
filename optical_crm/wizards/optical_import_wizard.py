"""Import of customers, prescriptions and purchases from a legacy shop software.

The files are CSV as optical software exports them: Italian, English or abbreviated
headers (see ``tools/legacy_columns.py``), ``;`` separator, comma decimals, dd/mm/yyyy
dates, UTF-8 or Windows-1252. A column the tables do not know is listed by the dry
run: the user says what it holds, and the shop remembers it for its next file of the
same kind (``optical.import.mapping``). Every row is
imported in its own savepoint (a bad row writes nothing); a dry run does the same
work inside a savepoint that is rolled back, so it reports exactly what the real
run will do. Re-importing a file changes nothing: customers are matched on their
code, prescriptions and purchases on a key derived from the row.
"""

import base64
import csv
import io
from collections import Counter
from datetime import date, datetime, time

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import email_normalize
from odoo.tools.mail import single_email_re

from ..models.optical_import_mapping import IMPORT_TYPES
from ..tools import csv_files
from ..tools.legacy_columns import (
    COLUMNS,
    KINDS,
    PRISM_BASES,
    REQUIRED,
    merge_eye_values,
    normalize,
    parse_bool,
    parse_date,
    parse_number,
    purchase_category,
)

MAX_ROWS = 50000
MAX_FILE_MB = 20
REJECT_COLUMN = "Motivo dello scarto"


class RowError(ValueError):
    """A row cannot be imported: the message says why (already translated)."""


class OpticalImportWizard(models.TransientModel):
    _name = "optical.import.wizard"
    _description = "Import from a legacy shop software"

    import_type = fields.Selection(
        IMPORT_TYPES,
        string="File content",
        required=True,
        default="customers",
    )
    data_file = fields.Binary(string="CSV file", attachment=False)
    filename = fields.Char()
    state = fields.Selection(
        [("draft", "Draft"), ("checked", "Checked"), ("done", "Imported")],
        default="draft",
        required=True,
    )
    encoding = fields.Char(readonly=True)
    line_ids = fields.One2many(
        "optical.import.wizard.line", "wizard_id", string="Rows", readonly=True
    )
    column_ids = fields.One2many(
        "optical.import.wizard.column", "wizard_id", string="Columns not recognised"
    )
    missing_columns = fields.Char(readonly=True)
    count_new = fields.Integer(string="New", readonly=True)
    count_updated = fields.Integer(string="Updated", readonly=True)
    count_unchanged = fields.Integer(string="Unchanged", readonly=True)
    count_rejected = fields.Integer(string="Rejected", readonly=True)
    rejected_file = fields.Binary(string="Rejected rows", readonly=True)
    rejected_filename = fields.Char(readonly=True)

    @api.onchange("data_file", "import_type")
    def _onchange_reset(self):
        self.state = "draft"
        self.column_ids = [Command.clear()]

    # ------------------------------------------------------------------
    # Buttons
    # ------------------------------------------------------------------
    def action_check(self):
        """Dry run: report what every row would give, write nothing."""
        return self._run(dry_run=True)

    def action_import(self):
        return self._run(dry_run=False)

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Import from legacy software"),
            # the targets offered for the columns not recognised
            "context": {"optical_import_type": self.import_type},
        }

    # ------------------------------------------------------------------
    # Reading the file
    # ------------------------------------------------------------------
    def _decode(self):
        """The file's bytes; refused before decoding when over the size limit."""
        if not self.data_file:
            raise UserError(self.env._("Choose the CSV file to import."))
        if len(self.data_file) * 3 // 4 > MAX_FILE_MB * 1024 * 1024:
            raise UserError(
                self.env._(
                    "The file is larger than %(max)s MB: split it into smaller "
                    "files.",
                    max=MAX_FILE_MB,
                )
            )
        try:
            raw = base64.b64decode(self.data_file)
        except (ValueError, TypeError) as exc:
            raise UserError(self.env._("The file could not be read.")) from exc
        if not raw.strip():
            raise UserError(self.env._("The file is empty."))
        if b"\0" in raw[:4096]:
            raise UserError(
                self.env._(
                    "This is not a CSV text file: export it from the shop software "
                    "as CSV (values separated by ';')."
                )
            )
        return raw

    def _read_rows(self):
        """(header, [(line_no, cells)], delimiter) of the file; UserError if unusable.

        The file is read line by line and reading stops beyond the row limit.
        """
        raw = self._decode()
        for encoding, label, errors in (
            ("utf-8-sig", "UTF-8", "strict"),
            ("cp1252", "Windows-1252", "replace"),
        ):
            stream = io.TextIOWrapper(
                io.BytesIO(raw), encoding=encoding, errors=errors, newline=""
            )
            try:
                header, rows, delimiter = csv_files.read_rows(stream, MAX_ROWS)
                self.encoding = label
                break
            except UnicodeDecodeError:
                continue
            except csv_files.TooManyRows as exc:
                raise UserError(
                    self.env._(
                        "The file has more than %(max)s rows: split it into files "
                        "of at most %(max)s rows.",
                        max=MAX_ROWS,
                    )
                ) from exc
            except csv.Error as exc:
                raise UserError(
                    self.env._(
                        "The file is not valid CSV (line %(line)s): %(error)s",
                        line=exc.args[1] if len(exc.args) > 1 else "?",
                        error=exc.args[0],
                    )
                ) from exc
        if not rows:
            raise UserError(
                self.env._("The file has a header but no rows to import.")
                if header
                else self.env._("The file is empty.")
            )
        header = [csv_files.unneutralize(title) for title in header]
        rows = [
            (line_no, [csv_files.unneutralize(cell) for cell in cells])
            for line_no, cells in rows
        ]
        return header, rows, delimiter

    def _columns(self):
        return COLUMNS[self.import_type]

    def _map_header(self, header):
        """``({our key: column index}, [values of the columns not recognised])``,
        with the targets the user chose in this wizard."""
        return self.env["optical.import.mapping"]._optical_map_header(
            self.import_type,
            header,
            {line.column_name: line.target for line in self.column_ids},
        )

    def _missing_columns(self, header, mapping):
        """Why the file cannot be read (required columns missing), or None."""
        missing = [key for key in REQUIRED[self.import_type] if key not in mapping]
        if not missing:
            return None
        columns = self._columns()
        return self.env._(
            "Required columns missing for this kind of file: %(missing)s. "
            "Expected at least %(expected)s; the file has: %(found)s.",
            missing=", ".join(columns[key][0] for key in missing),
            expected=", ".join(
                f"'{columns[key][0]}'" for key in REQUIRED[self.import_type]
            ),
            found=", ".join(header),
        )

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------
    def _parse_date(self, text, label):
        try:
            return parse_date(text)
        except ValueError as exc:
            raise RowError(
                self.env._(
                    "%(column)s: '%(value)s' is not a date (use dd/mm/yyyy).",
                    column=label,
                    value=text.strip(),
                )
            ) from exc

    def _parse_number(self, text, label, amount=False):
        try:
            return parse_number(text, amount=amount)
        except ValueError as exc:
            raise RowError(
                self.env._(
                    "%(column)s: '%(value)s' is not a number.",
                    column=label,
                    value=text.strip(),
                )
            ) from exc

    def _parse_bool(self, text, label):
        try:
            return parse_bool(text)
        except ValueError as exc:
            raise RowError(
                self.env._(
                    "%(column)s: '%(value)s' is neither yes (Sì) nor no (No).",
                    column=label,
                    value=text,
                )
            ) from exc

    def _parse_choice(self, text, label, choices):
        value = normalize(text)
        if not value:
            return None
        if value in choices:
            return choices[value]
        raise RowError(
            self.env._(
                "%(column)s: unknown value '%(value)s'; accepted values: "
                "%(accepted)s.",
                column=label,
                value=text,
                accepted=", ".join(sorted(choices)),
            )
        )

    def _shop_customers(self):
        """The customers a file imported in the current shop may be matched
        with: shared ones and the shop's own (never another shop's, even for
        a user who works in several)."""
        return [("company_id", "in", [False, self.env.company.id])]

    def _find_customer(self, code, label):
        partner = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(self._shop_customers() + [("ref", "=", code)], limit=2)
        )
        if not partner:
            raise RowError(
                self.env._(
                    "%(column)s: no customer with code %(code)s; import the "
                    "customers first.",
                    column=label,
                    code=code,
                )
            )
        if len(partner) > 1:
            raise RowError(
                self.env._(
                    "%(column)s: several customers have code %(code)s.",
                    column=label,
                    code=code,
                )
            )
        return partner

    # ------------------------------------------------------------------
    # The run
    # ------------------------------------------------------------------
    def _run(self, dry_run):
        self.ensure_one()
        if self.import_type == "prescriptions" and not self.env[
            "optical.prescription"
        ].has_access("create"):
            raise AccessError(
                self.env._(
                    "Prescriptions are health data: only optometrists and managers "
                    "can import them."
                )
            )
        header, rows, delimiter = self._read_rows()
        mapping, columns = self._map_header(header)
        missing = self._missing_columns(header, mapping)
        if missing:
            if not (dry_run and columns):
                raise UserError(missing)
            # the user may say which of the columns not recognised holds it
            self._write_report(header, [], delimiter, dry_run, columns, missing)
            return self._reopen()
        if not dry_run:
            # what the user said about the columns is remembered by the shop
            chosen = set(self.column_ids.mapped("column_name"))
            self.env["optical.import.mapping"]._optical_remember(
                self.import_type,
                {
                    column["column_name"]: column["target"]
                    for column in columns
                    if column["column_name"] in chosen
                },
            )
        handler = getattr(self, f"_import_{self.import_type}_row")
        state = {"partners": set(), "seen": Counter()}
        results = []
        savepoint = self.env.cr.savepoint() if dry_run else None
        try:
            for line_no, cells in rows:
                values = {
                    key: (cells[index].strip() if index < len(cells) else "")
                    for key, index in mapping.items()
                }
                reference = values.get("code") or ""
                try:
                    if len(cells) > len(header):
                        raise RowError(
                            self.env._(
                                "The row has %(found)s values but the header has "
                                "%(expected)s columns: check the separators.",
                                found=len(cells),
                                expected=len(header),
                            )
                        )
                    with self.env.cr.savepoint():
                        status, message = handler(values, header, mapping, state)
                except (
                    RowError,
                    UserError,
                    ValidationError,
                    AccessError,
                    psycopg2.Error,
                ) as exc:
                    status, message = "rejected", self._error_text(exc)
                results.append((line_no, reference, status, message, cells))
            self.env["res.partner"]._optical_refresh_profile(state["partners"])
        finally:
            if savepoint:
                savepoint.close(rollback=True)
                self.env.invalidate_all()
        self._write_report(header, results, delimiter, dry_run, columns)
        return self._reopen()

    def _error_text(self, exc):
        if isinstance(exc, psycopg2.Error):
            return self.env._(
                "The database refused the row: %(error)s",
                error=(exc.pgerror or str(exc)).strip(),
            )
        return str(exc.args[0]) if exc.args else str(exc)

    def _write_report(self, header, results, delimiter, dry_run, columns, missing=None):
        counts = Counter(status for _l, _r, status, _m, _c in results)
        rejected = [r for r in results if r[2] == "rejected"]
        vals = {
            "state": "checked" if dry_run else "done",
            "column_ids": [Command.clear()]
            + [Command.create(column) for column in columns],
            "missing_columns": missing or False,
            "line_ids": [(5, 0, 0)]
            + [
                (
                    0,
                    0,
                    {
                        "row": line_no,
                        "reference": reference,
                        "status": status,
                        "message": message,
                    },
                )
                for line_no, reference, status, message, _cells in results
            ],
            "count_new": counts["new"],
            "count_updated": counts["updated"],
            "count_unchanged": counts["unchanged"],
            "count_rejected": counts["rejected"],
            "rejected_file": False,
            "rejected_filename": False,
        }
        if rejected:
            out = io.StringIO()
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
            # the cells go back to a spreadsheet: none may run as a formula
            writer.writerow(csv_files.neutralized_row([*header, REJECT_COLUMN]))
            for _line, _ref, _status, message, cells in rejected:
                padded = list(cells) + [""] * (len(header) - len(cells))
                writer.writerow(
                    csv_files.neutralized_row([*padded[: len(header)], message])
                )
            stem = (self.filename or "import.csv").rsplit(".", 1)[0]
            vals["rejected_file"] = base64.b64encode(out.getvalue().encode("utf-8-sig"))
            vals["rejected_filename"] = f"{stem}_scartate.csv"
        self.write(vals)

    # ------------------------------------------------------------------
    # Customers
    # ------------------------------------------------------------------
    def _customer_values(self, values):
        _ = self.env._
        partner_model = self.env["res.partner"]
        italy = self.env.ref("base.it")
        vals = {}
        first = values.get("first_name", "")
        last = values.get("last_name", "")
        if not last:
            raise RowError(_("The surname (Cognome) is empty."))
        vals["name"] = " ".join(part for part in (first, last) if part)
        birth = self._parse_date(values.get("birthdate"), _("Birthdate"))
        if birth:
            if not date(1900, 1, 1) <= birth <= fields.Date.context_today(self):
                raise RowError(
                    _(
                        "Birthdate: %(value)s is not a plausible birthdate.",
                        value=values["birthdate"],
                    )
                )
            vals["optical_birthdate"] = birth
        for key in ("street", "zip", "city"):
            if values.get(key):
                vals[key] = values[key]
        if values.get("province"):
            state = self.env["res.country.state"].search(
                [
                    ("country_id", "=", italy.id),
                    ("code", "=", values["province"].upper()),
                ],
                limit=1,
            )
            if not state:
                raise RowError(
                    _(
                        "Province: '%(value)s' is not an Italian province code "
                        "(e.g. BO, MI, RM).",
                        value=values["province"],
                    )
                )
            vals["state_id"] = state.id
        if vals.keys() & {"street", "zip", "city", "state_id"}:
            vals["country_id"] = italy.id
        for key, label in (("mobile", _("Mobile")), ("phone", _("Phone"))):
            if values.get(key):
                number = partner_model._phone_format(
                    number=values[key], country=italy, force_format="E164"
                )
                if not number:
                    raise RowError(
                        _(
                            "%(column)s: '%(value)s' is not a valid phone number.",
                            column=label,
                            value=values[key],
                        )
                    )
                vals[key] = number
        if values.get("email"):
            email = email_normalize(values["email"])
            # email_normalize accepts a domain without its top-level part
            if not email or not single_email_re.match(email):
                raise RowError(
                    _(
                        "Email: '%(value)s' is not a valid address.",
                        value=values["email"],
                    )
                )
            vals["email"] = email
        if values.get("note"):
            vals["comment"] = values["note"]
        return vals

    def _match_customer(self, code, vals):
        Partner = self.env["res.partner"].with_context(active_test=False)
        partner = Partner.search(self._shop_customers() + [("ref", "=", code)], limit=2)
        if len(partner) > 1:
            raise RowError(
                self.env._("Several customers already have code %(code)s.", code=code)
            )
        if partner:
            return partner
        # A customer already in Odoo (not imported yet) with the same email or
        # mobile number: link it instead of creating a duplicate.
        for fname, domain_field in (
            ("email", "email_normalized"),
            ("mobile", "phone_sanitized"),
        ):
            if vals.get(fname):
                found = Partner.search(
                    self._shop_customers()
                    + [(domain_field, "=", vals[fname]), ("ref", "in", (False, ""))],
                    limit=2,
                )
                if len(found) == 1:
                    return found
        return Partner

    def _import_customers_row(self, values, header, mapping, state):
        _ = self.env._
        code = values["code"]
        if not code:
            raise RowError(_("The customer code is empty."))
        vals = self._customer_values(values)
        consents = {}
        for channel in ("sms", "email", "phone"):
            key = f"consent_{channel}"
            if key in values:
                label = header[mapping[key]]
                decision = self._parse_bool(values[key], label)
                if decision is not None:
                    consents[channel] = decision
        consent_date = self._parse_date(values.get("consent_date"), _("Consent date"))
        partner = self._match_customer(code, vals)
        notes = []
        if partner:
            status = "unchanged"
            todo = {}
            for fname, value in vals.items():
                current = partner[fname]
                if fname == "state_id" or fname == "country_id":
                    current = current.id
                if not current:
                    todo[fname] = value
                elif current != value:
                    notes.append(partner._fields[fname]._description_string(self.env))
            if not partner.ref:
                todo["ref"] = code
            if todo:
                partner.write(todo)
                status = "updated"
        else:
            partner = self.env["res.partner"].create(
                dict(vals, ref=code, is_company=False, customer_rank=1)
            )
            status = "new"
        state["partners"].add(partner.id)
        recorded = self._import_consents(partner, consents, consent_date)
        if recorded and status == "unchanged":
            status = "updated"
        messages = []
        if notes:
            messages.append(
                _(
                    "Kept the values already in Odoo for: %(fields)s.",
                    fields=", ".join(notes),
                )
            )
        messages += recorded
        return status, "\n".join(messages)

    def _import_consents(self, partner, consents, consent_date):
        """Record the consents of the file unless Odoo already knows better.

        A consent recorded in Odoo by other means (shop, web, unsubscribe link) is
        never overridden by an old export; one recorded by a previous import is
        only replaced when the file says otherwise.
        """
        if not consents:
            return []
        _ = self.env._
        ledger = self.env["optical.consent"].sudo()
        labels = dict(ledger._fields["channel"]._description_selection(self.env))
        note = _("Imported from %(file)s", file=self.filename or _("legacy software"))
        if consent_date:
            note = _(
                "%(note)s, consent of %(date)s",
                note=note,
                date=consent_date.strftime("%d/%m/%Y"),
            )
        messages = []
        for channel, granted in consents.items():
            latest = ledger.search(
                [
                    ("partner_id", "=", partner.id),
                    ("channel", "=", channel),
                    ("purpose", "=", "marketing"),
                ],
                order="date desc, id desc",
                limit=1,
            )
            if latest and (latest.granted == granted or latest.source != "import"):
                continue
            partner._optical_record_consent(
                channel, "marketing", granted, "import", note=note
            )
            messages.append(
                _(
                    "Marketing consent by %(channel)s: %(decision)s.",
                    channel=labels.get(channel, channel),
                    decision=_("granted") if granted else _("refused"),
                )
            )
        return messages

    # ------------------------------------------------------------------
    # Prescriptions
    # ------------------------------------------------------------------
    def _import_prescriptions_row(self, values, header, mapping, state):
        _ = self.env._
        label = {key: header[index] for key, index in mapping.items()}
        partner = self._find_customer(values["code"], label["code"])
        rx_date = self._parse_date(values["date"], label["date"])
        if not rx_date:
            raise RowError(_("The prescription date is empty."))
        kind = (
            self._parse_choice(values.get("kind"), label.get("kind"), KINDS)
            or "spectacles"
        )
        vals = {
            "partner_id": partner.id,
            "date": rx_date,
            "kind": kind,
            "note": values.get("note") or False,
        }
        for key in mapping:
            if key in ("code", "date", "ref", "kind", "note", "expiry"):
                continue
            if key.endswith("prism_base"):
                vals[key] = self._parse_choice(values[key], label[key], PRISM_BASES)
            elif key.endswith("axis"):
                number = self._parse_number(values[key], label[key])
                if number != int(number):
                    raise RowError(
                        _(
                            "%(column)s: the axis is a whole number of degrees, "
                            "not %(value)s.",
                            column=label[key],
                            value=values[key],
                        )
                    )
                vals[key] = int(number)
            else:
                vals[key] = self._parse_number(values[key], label[key])
        # a value given once for both eyes, or per eye where the prescription
        # has one; an eye's different base curve or diameter goes to the notes
        notes = [
            _(
                "%(value)s: OD %(od)s, OS %(os)s.",
                value=self.env["optical.prescription"]
                ._fields[fname]
                ._description_string(self.env),
                od=od,
                os=os_,
            )
            for fname, od, os_ in merge_eye_values(vals)
        ]
        if notes:
            vals["note"] = "\n".join(filter(None, [vals["note"], *notes]))
        expiry = self._parse_date(values.get("expiry"), label.get("expiry"))
        if expiry:
            vals["expiry_date"] = expiry
        key = values.get("ref") or f"{values['code']}|{rx_date.isoformat()}|{kind}"
        vals["import_ref"] = key
        existing = self.env["optical.prescription"].search(
            [("import_ref", "=", key), ("company_id", "=", self.env.company.id)],
            limit=1,
        )
        state["partners"].add(partner.id)
        if existing:
            return "unchanged", _("Already imported.")
        self.env["optical.prescription"].create(vals)
        return "new", ""

    # ------------------------------------------------------------------
    # Purchases
    # ------------------------------------------------------------------
    def _import_purchases_row(self, values, header, mapping, state):
        _ = self.env._
        label = {key: header[index] for key, index in mapping.items()}
        partner = self._find_customer(values["code"], label["code"])
        day = self._parse_date(values["date"], label["date"])
        if not day:
            raise RowError(_("The purchase date is empty."))
        if day > fields.Date.context_today(self):
            raise RowError(
                _("The purchase date %(date)s is in the future.", date=values["date"])
            )
        product = self.env["product.product"]
        if values.get("product_code"):
            product = product.search(
                [
                    ("default_code", "=", values["product_code"]),
                    ("company_id", "in", (False, self.env.company.id)),
                ],
                limit=1,
            )
        description = values.get("description") or product.display_name
        # services are sales too: an eye exam, a repair... (never rejected)
        category, recognised = purchase_category(values.get("category"), description)
        category = category or product.optical_category or False
        if not (description or values.get("category") or values.get("product_code")):
            raise RowError(
                _(
                    "The row says nothing about what was bought (article, "
                    "description or category)."
                )
            )
        quantity = (
            self._parse_number(values.get("quantity"), label.get("quantity")) or 1.0
        )
        amount = self._parse_number(
            values.get("amount"), label.get("amount"), amount=True
        )
        base = "|".join(
            (
                values.get("document") or day.isoformat(),
                values["code"],
                values.get("product_code")
                or description
                or category
                or values.get("category", ""),
            )
        )
        state["seen"][base] += 1
        external_ref = f"{base}|{state['seen'][base]}"
        # the profiles are refreshed once, at the end of the run
        Touchpoint = self.env["optical.touchpoint"].with_context(
            optical_profile_deferred=True
        )
        state["partners"].add(partner.id)
        if Touchpoint._optical_find_existing(
            self.env.company, "import", [external_ref]
        ):
            return "unchanged", _("Already imported.")
        Touchpoint.create(
            {
                "partner_id": partner.id,
                "datetime": min(
                    datetime.combine(day, time(12, 0)), fields.Datetime.now()
                ),
                "channel": "store",
                "kind": "purchase",
                "summary": " - ".join(
                    part for part in (values.get("document"), description) if part
                ),
                "product_id": product.id or False,
                "optical_category": category,
                "quantity": quantity,
                "amount": amount,
                "source": "import",
                "external_ref": external_ref,
                "document_ref": values.get("document") or False,
                "company_id": self.env.company.id,
            }
        )
        messages = []
        if not recognised:
            messages.append(
                _(
                    "%(column)s: '%(value)s' is not an optical category: imported "
                    "as a sale without one.",
                    column=label["category"],
                    value=values["category"],
                )
            )
        if category == "eye_exam":
            _exam, created = self.env["optical.exam"]._optical_record_once(
                partner,
                day,
                _("Imported from %(file)s", file=self.filename or _("legacy software")),
            )
            messages.append(
                _("Eye exam recorded.")
                if created
                else _("The eye exam of that day is already recorded.")
            )
        return "new", "\n".join(messages)
