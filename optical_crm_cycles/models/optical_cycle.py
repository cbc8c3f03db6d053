import datetime as dt
import json

import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

TRIGGERS = [
    # the technical name is a contract: every sale of the sales ledger fires it
    ("invoice_posted", "Sale (invoice, receipt, point of sale...)"),
    ("exam_done", "Eye exam done"),
    ("cl_runout", "Contact lenses running out"),
    ("prescription_expiry", "Prescription expiring"),
    ("birthday", "Birthday"),
]
# Triggers evaluated once a day on a date of the customer (not on an event).
DATE_TRIGGERS = ("cl_runout", "prescription_expiry", "birthday")
# Kinds of sales (optical.sale.line) that another system recorded after the fact:
# the import never enrolls by itself (only the backfill does) and neither it nor
# a purchase sent through the API ever sends a step on a day already past.
HISTORY_KINDS = ("import", "api")
REENTRY_POLICIES = [
    ("always", "Always"),
    ("days", "Not within N days"),
    ("never", "Never"),
]


class OpticalCycle(models.Model):
    """A sequence of follow-ups (steps) started by one trigger for one shop."""

    _name = "optical.cycle"
    _description = "Automated cycle"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(
        default=True,
        tracking=True,
        help="Only active cycles enroll customers and send their messages; "
        "archiving a cycle cancels its pending messages when they fall due.",
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Receives the phone-call activities of steps without their own "
        "assignee.",
    )
    trigger = fields.Selection(
        TRIGGERS, required=True, default="invoice_posted", tracking=True
    )
    trigger_days = fields.Integer(
        string="Days before",
        help="Date-based triggers: how many days before the date (contact lenses "
        "run out, prescription expires, birthday) the customer is enrolled.",
    )
    optical_categories = fields.Many2many(
        "optical.cycle.category",
        string="Optical categories",
        help="Sale trigger: only sales (invoices, receipts, point of sale, other "
        "systems) with at least one line of these categories. Buying again in the "
        "same category stops the steps marked 'Skip if bought again'. Empty: any "
        "sale.",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Products",
        check_company=True,
        help="Sale trigger: only sales with at least one of these products. "
        "Empty: any product.",
    )
    segment_id = fields.Many2one(
        "optical.segment",
        string="Only customers in",
        check_company=True,
        domain="[('company_id', 'in', (False, company_id))]",
        help="Enroll only customers of this segment (age, purchases, exams, "
        "consent...), evaluated for the cycle's shop on the day of the trigger. "
        "Empty: every customer.",
    )
    reentry_policy = fields.Selection(
        REENTRY_POLICIES,
        string="Re-entry",
        required=True,
        default="always",
        help="Whether a customer already enrolled in this cycle is enrolled again "
        "by a later trigger (a later sale, exam...).",
    )
    reentry_days = fields.Integer(
        string="Re-entry after (days)",
        default=90,
        help="With 'Not within N days': a new trigger less than this many days "
        "after the previous one does not enroll the customer again.",
    )
    late_tolerance_days = fields.Integer(
        string="Late tolerance (days)",
        default=2,
        help="When a sale is recorded late (an invoice or receipt dated in the "
        "past), steps whose date is past by more than this many days are skipped "
        "as 'late'; more recent ones go out at the next opening of the send "
        "window. Purchases recorded by other systems (import, API) never send a "
        "step on a day already past.",
    )
    send_hour = fields.Float(
        string="Send at",
        default=10.0,
        help="Time of day (shop timezone) for steps counted in days, weeks, months "
        "or years; the send window may still move it.",
    )
    step_ids = fields.One2many("optical.cycle.step", "cycle_id", string="Steps")
    enrollment_ids = fields.One2many(
        "optical.cycle.enrollment", "cycle_id", string="Enrollments"
    )
    campaign_id = fields.Many2one(
        "utm.campaign",
        string="UTM campaign",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Shared by the mailings of the steps: their traces, clicks and "
        "statistics are grouped under it.",
    )
    step_count = fields.Integer(compute="_compute_step_count")
    enrollment_running_count = fields.Integer(
        string="Running", compute="_compute_optical_counts"
    )
    execution_due_today_count = fields.Integer(
        string="Due today", compute="_compute_optical_counts"
    )
    execution_sent_count = fields.Integer(
        string="Sent", compute="_compute_optical_counts"
    )
    converted_count = fields.Integer(string="Converted", compute="_compute_results")
    revenue = fields.Monetary(compute="_compute_results", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    timeline_html = fields.Html(
        string="Timeline", compute="_compute_timeline_html", sanitize=False
    )

    # ------------------------------------------------------------------ checks
    @api.constrains(
        "trigger_days", "reentry_policy", "reentry_days", "late_tolerance_days"
    )
    def _check_numbers(self):
        for cycle in self:
            if cycle.trigger_days < 0 or cycle.late_tolerance_days < 0:
                raise ValidationError(
                    self.env._(
                        "Cycle %(name)s: days before and late tolerance cannot be "
                        "negative.",
                        name=cycle.name,
                    )
                )
            if cycle.reentry_policy == "days" and cycle.reentry_days < 1:
                raise ValidationError(
                    self.env._(
                        "Cycle %(name)s: the re-entry period is at least one day.",
                        name=cycle.name,
                    )
                )

    @api.constrains("send_hour")
    def _check_send_hour(self):
        for cycle in self:
            if not 0 <= cycle.send_hour < 24:
                raise ValidationError(
                    self.env._(
                        "Cycle %(name)s: the send time must be between 00:00 and "
                        "23:59.",
                        name=cycle.name,
                    )
                )

    # ------------------------------------------------------------------ ORM
    @api.model_create_multi
    def create(self, vals_list):
        # the campaign first: the steps created with the cycle put it on their
        # mailings
        Campaign = self.env["utm.campaign"].sudo()
        for vals in vals_list:
            if not vals.get("campaign_id"):
                name = vals.get("name") or self.env._("Cycle")
                vals["campaign_id"] = Campaign.create({"title": name, "name": name}).id
        cycles = super().create(vals_list)
        self._optical_shops_changed()
        return cycles

    def write(self, vals):
        res = super().write(vals)
        if "name" in vals:
            self.campaign_id.sudo().write({"title": vals["name"]})
        if {"active", "company_id"} & set(vals):
            self._optical_shops_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self._optical_shops_changed()
        return res

    # ------------------------------------------------------------------ shops
    @api.model
    @tools.ormcache()
    def _optical_shop_ids_with_cycles(self):
        """Ids of the shops with an active cycle that has steps: a sale
        recorded in another shop has nothing to enroll nor to stop, and costs no
        query. Cached; see _optical_shops_changed()."""
        cycles = (
            self.sudo()
            .with_context(active_test=True)
            .search([("step_ids", "!=", False)])
        )
        return frozenset(cycles.company_id.ids)

    @api.model
    def _optical_shops_changed(self):
        """A cycle or a step was created, deleted, archived or moved: the shops
        with cycles are read again, now and once this transaction is committed
        (a posting may have cached them in between, without this change)."""
        self.env.registry.clear_cache()
        self.env.cr.postcommit.add(self.env.registry.clear_cache)

    def copy_data(self, default=None):
        vals_list = super().copy_data(default=default)
        for cycle, vals in zip(self, vals_list, strict=True):
            if "name" not in (default or {}):
                vals["name"] = self.env._("%(name)s (copy)", name=cycle.name)
        return vals_list

    def copy(self, default=None):
        new_cycles = super().copy(default=default)
        for cycle, new in zip(self, new_cycles, strict=True):
            for step in cycle.step_ids:
                step.copy({"cycle_id": new.id})
        return new_cycles

    # ------------------------------------------------------------------ computes
    @api.depends("step_ids")
    def _compute_step_count(self):
        for cycle in self:
            cycle.step_count = len(cycle.step_ids)

    def _optical_tz(self):
        self.ensure_one()
        return pytz.timezone(
            self.company_id.sudo()._optical_send_calendar().tz or "Europe/Rome"
        )

    def _optical_end_of_today(self):
        """End of the shop's current day, naive UTC."""
        self.ensure_one()
        tz = self._optical_tz()
        local_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        end = tz.localize(
            dt.datetime.combine(local_now.date() + dt.timedelta(days=1), dt.time())
        )
        return end.astimezone(pytz.utc).replace(tzinfo=None)

    def _compute_optical_counts(self):
        real = self.filtered("id")
        (self - real).update(
            {
                "enrollment_running_count": 0,
                "execution_due_today_count": 0,
                "execution_sent_count": 0,
            }
        )
        if not real:
            return
        self.env["optical.cycle.enrollment"].flush_model(["state", "cycle_id"])
        self.env["optical.cycle.execution"].flush_model(
            ["state", "cycle_id", "scheduled_at"]
        )
        running = dict(
            self.env.execute_query(
                SQL(
                    "SELECT cycle_id, COUNT(*) FROM optical_cycle_enrollment "
                    "WHERE cycle_id = ANY(%s) AND state = 'running' GROUP BY cycle_id",
                    real.ids,
                )
            )
        )
        end_of_today = real[:1]._optical_end_of_today()
        counts = {
            cycle_id: (due, sent)
            for cycle_id, due, sent in self.env.execute_query(
                SQL(
                    """
                    SELECT cycle_id,
                           COUNT(*) FILTER (WHERE state = 'scheduled'
                                              AND scheduled_at < %s),
                           COUNT(*) FILTER (WHERE state = 'sent')
                      FROM optical_cycle_execution
                     WHERE cycle_id = ANY(%s)
                     GROUP BY cycle_id
                    """,
                    end_of_today,
                    real.ids,
                )
            )
        }
        for cycle in real:
            due, sent = counts.get(cycle.id, (0, 0))
            cycle.enrollment_running_count = running.get(cycle.id, 0)
            cycle.execution_due_today_count = due
            cycle.execution_sent_count = sent

    def _compute_results(self):
        stats = self.step_ids._optical_results()
        for cycle in self:
            rows = [stats[step.id] for step in cycle.step_ids if step.id in stats]
            cycle.converted_count = sum(row["converted"] for row in rows)
            cycle.revenue = sum(row["revenue"] for row in rows)

    @api.depends("step_ids")
    def _compute_timeline_html(self):
        stats = self.step_ids._optical_results()
        qweb = self.env["ir.qweb"]
        channel_labels = dict(
            self.env["optical.cycle.step"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        for cycle in self:
            steps = cycle.step_ids.sorted("sequence")
            top = max([stats.get(s.id, {}).get("processed", 0) for s in steps] + [1])
            cycle.timeline_html = qweb._render(
                "optical_crm_cycles.optical_cycle_timeline",
                {
                    "cycle": cycle,
                    "rows": [(step, stats.get(step.id, {})) for step in steps],
                    "top": top,
                    "channel_labels": channel_labels,
                    "format_amount": lambda amount, c=cycle: (
                        self.env["ir.qweb.field.monetary"].value_to_html(
                            amount, {"display_currency": c.currency_id}
                        )
                    ),
                },
            )

    # ------------------------------------------------------------------ segment
    def _optical_segment_filter(self, partner_ids):
        """The customers among ``partner_ids`` that the cycle's segment accepts,
        evaluated for the cycle's shop (one query); all of them without a segment."""
        self.ensure_one()
        partner_ids = set(partner_ids)
        if not self.segment_id or not partner_ids:
            return partner_ids
        segment = self.segment_id.sudo().with_company(self.company_id)
        domain = segment._optical_domain() + [("id", "in", list(partner_ids))]
        Partner = self.env["res.partner"].sudo().with_company(self.company_id)
        return set(Partner.with_context(active_test=False).search(domain).ids)

    # ------------------------------------------------------------------ triggers
    @api.model
    def _optical_sale_documents(self, document_keys):
        """The sale documents among ``document_keys`` as the sales ledger has
        them now (refunds left out): one dict per document and customer with
        ``document_key, partner_id, company_id, date, kind, move_id,
        categories, products`` (one SQL query). A document no longer in the
        ledger (reset, cancelled, deleted) is not returned."""
        keys = sorted({key for key in document_keys if key})
        if not keys:
            return []
        self.env["optical.sale.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT document_key, partner_id, company_id, MIN(date), MIN(kind),
                       MIN(move_id),
                       ARRAY_AGG(DISTINCT optical_category)
                           FILTER (WHERE optical_category IS NOT NULL),
                       ARRAY_AGG(DISTINCT product_id)
                           FILTER (WHERE product_id IS NOT NULL)
                  FROM optical_sale_line
                 WHERE document_key = ANY(%s) AND NOT is_refund
                 GROUP BY document_key, partner_id, company_id
                 ORDER BY MIN(date), document_key, partner_id
                """,
                keys,
            )
        )
        columns = (
            "document_key",
            "partner_id",
            "company_id",
            "date",
            "kind",
            "move_id",
            "categories",
            "products",
        )
        documents = [dict(zip(columns, row, strict=True)) for row in rows]
        for doc in documents:
            doc["categories"] = set(doc["categories"] or [])
            doc["products"] = set(doc["products"] or [])
        return documents

    def _optical_sale_candidates(self, documents):
        """Enrollment candidates of these cycles (trigger "sale") for sale
        documents (see :meth:`_optical_sale_documents`): a document enrolls in
        a cycle of its shop when it has a line of the cycle's categories and of
        its products, from the document's date.

        The source of an enrollment is the invoice or receipt for Odoo's
        account moves (``move_id``); for the other documents (point of sale,
        another system, the import) it is the customer, with the ledger's
        ``document_key`` as ``source_key``: one enrollment per cycle, document
        and customer either way. Purchases that other systems record (import,
        API) never send a step on a day already past (``skip_past_days``)."""
        if not documents or not self:
            return []
        now = fields.Datetime.now()
        candidates = []
        for cycle in self:
            categories = set(cycle.optical_categories.mapped("code"))
            products = set(cycle.product_ids.ids)
            today = pytz.utc.localize(now).astimezone(cycle._optical_tz()).date()
            for doc in documents:
                if doc["company_id"] != cycle.company_id.id:
                    continue
                if categories and not categories & doc["categories"]:
                    continue
                if products and not products & doc["products"]:
                    continue
                move_id = doc["move_id"]
                candidates.append(
                    {
                        "cycle": cycle,
                        "partner_id": doc["partner_id"],
                        "source_ref": f"account.move,{move_id}"
                        if move_id
                        else f"res.partner,{doc['partner_id']}",
                        "source_key": "" if move_id else doc["document_key"],
                        "move_id": move_id or False,
                        "document_key": doc["document_key"],
                        "kind": doc["kind"],
                        "trigger_date": doc["date"],
                        "trigger_at": now if doc["date"] == today else None,
                        "watch_categories": ",".join(
                            sorted(categories & doc["categories"] or doc["categories"])
                        ),
                        "skip_past_days": doc["kind"] in HISTORY_KINDS,
                    }
                )
        return candidates

    def _optical_exam_candidates(self, exams):
        if not exams or not self:
            return []
        now = fields.Datetime.now()
        candidates = []
        for cycle in self:
            today = pytz.utc.localize(now).astimezone(cycle._optical_tz()).date()
            for exam in exams:
                if exam.company_id != cycle.company_id or not exam.date:
                    continue
                candidates.append(
                    {
                        "cycle": cycle,
                        "partner_id": exam.partner_id.id,
                        "source_ref": f"optical.exam,{exam.id}",
                        "source_key": "",
                        "move_id": False,
                        "trigger_date": exam.date,
                        "trigger_at": now if exam.date == today else None,
                        "watch_categories": ",".join(
                            sorted(cycle.optical_categories.mapped("code"))
                        ),
                    }
                )
        return candidates

    def _optical_date_candidates(self, first_day, last_day):
        """Customers whose date (run-out, expiry, birthday) fires the trigger on a
        day between ``first_day`` and ``last_day``.

        A date fires ``trigger_days`` before it; dates already inside that
        window on ``first_day`` fire on ``first_day`` (late data is not lost).
        Only customers of the shop (a sale or an exam there) qualify.
        """
        self.ensure_one()
        for model in (
            "res.partner",
            "optical.sale.line",
            "optical.exam",
            "optical.prescription",
        ):
            self.env[model].flush_model()
        lead = dt.timedelta(days=self.trigger_days)
        low, high = first_day, last_day + lead
        customer_of_shop = SQL(
            """
            (EXISTS (SELECT 1 FROM optical_sale_line s
                      WHERE s.partner_id = p.id AND s.company_id = %(company)s
                        AND NOT s.is_refund)
             OR EXISTS (SELECT 1 FROM optical_exam e
                         WHERE e.partner_id = p.id AND e.company_id = %(company)s))
            """,
            company=self.company_id.id,
        )
        if self.trigger == "cl_runout":
            query = SQL(
                """
                SELECT p.id, %(runout)s, 'res.partner', p.id
                  FROM res_partner p
                 WHERE p.active
                   AND %(runout)s BETWEEN %(low)s AND %(high)s
                   AND (p.company_id IS NULL OR p.company_id = %(company)s)
                   AND EXISTS (SELECT 1 FROM optical_sale_line s
                                WHERE s.partner_id = p.id
                                  AND s.company_id = %(company)s
                                  AND s.optical_category = 'contact_lens'
                                  AND NOT s.is_refund)
                """,
                low=low,
                high=high,
                company=self.company_id.id,
                # the run-out date of the cycle's shop
                runout=self.env["res.partner"]._optical_profile_sql(
                    "p", "optical_cl_runout_date", self.company_id.id
                ),
            )
            watch = "contact_lens"
        elif self.trigger == "prescription_expiry":
            query = SQL(
                """
                SELECT rx.partner_id, rx.expiry_date, 'optical.prescription', rx.id
                  FROM optical_prescription rx
                  JOIN res_partner p ON p.id = rx.partner_id
                 WHERE p.active AND rx.company_id = %(company)s
                   AND rx.expiry_date BETWEEN %(low)s AND %(high)s
                   AND NOT EXISTS (
                        SELECT 1 FROM optical_prescription n
                         WHERE n.partner_id = rx.partner_id AND n.kind = rx.kind
                           AND (n.date > rx.date
                                OR (n.date = rx.date AND n.id > rx.id)))
                """,
                low=low,
                high=high,
                company=self.company_id.id,
            )
            watch = ""
        elif self.trigger == "birthday":
            query = SQL(
                """
                SELECT p.id, b.anchor, 'res.partner', p.id
                  FROM res_partner p
                 CROSS JOIN LATERAL (
                        SELECT (first_day + LEAST(
                                   EXTRACT(DAY FROM p.optical_birthdate)::int,
                                   EXTRACT(DAY FROM first_day + INTERVAL '1 month'
                                                    - INTERVAL '1 day')::int) - 1
                               ) AS anchor
                          FROM (SELECT make_date(
                                       y,
                                       EXTRACT(MONTH FROM p.optical_birthdate)::int,
                                       1) AS first_day
                                  FROM generate_series(%(year_low)s, %(year_high)s) y
                               ) months
                       ) b
                 WHERE p.active AND p.optical_birthdate IS NOT NULL
                   AND b.anchor BETWEEN %(low)s AND %(high)s
                   AND (p.company_id IS NULL OR p.company_id = %(company)s)
                   AND %(customer)s
                """,
                low=low,
                high=high,
                year_low=low.year,
                year_high=high.year,
                company=self.company_id.id,
                customer=customer_of_shop,
            )
            watch = ""
        else:
            return []
        candidates = []
        for partner_id, anchor, model, res_id in self.env.execute_query(query):
            fire = max(anchor - lead, first_day)
            candidates.append(
                {
                    "cycle": self,
                    "partner_id": partner_id,
                    "source_ref": f"{model},{res_id}",
                    "source_key": f"{self.trigger}:{anchor.isoformat()}",
                    "move_id": False,
                    "trigger_date": fire,
                    "trigger_at": None,
                    "watch_categories": watch,
                }
            )
        return candidates

    @api.model
    def _cron_date_triggers(self):
        """Daily: enroll customers whose date-based trigger fires today."""
        Enrollment = self.env["optical.cycle.enrollment"].sudo()
        cycles = self.sudo().search(
            [("trigger", "in", DATE_TRIGGERS), ("step_ids", "!=", False)]
        )
        for cycle in cycles:
            tz = cycle._optical_tz()
            today = pytz.utc.localize(fields.Datetime.now()).astimezone(tz).date()
            Enrollment._optical_enroll(cycle._optical_date_candidates(today, today))
            Enrollment._optical_commit_if_cron()

    # ------------------------------------------------------------------ actions
    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm_cycles.optical_cycle_enrollment_action"
        )
        action["domain"] = [("cycle_id", "=", self.id)]
        action["context"] = {"default_cycle_id": self.id}
        return action

    def action_view_executions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm_cycles.optical_cycle_execution_action"
        )
        action["domain"] = [("cycle_id", "=", self.id)]
        action["context"] = {"search_default_filter_scheduled": 1}
        return action

    def action_open_backfill(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enroll past documents"),
            "res_model": "optical.cycle.backfill",
            "view_mode": "form",
            "target": "new",
            "context": {"default_cycle_id": self.id},
        }

    def action_open_simulation(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Simulation"),
            "res_model": "optical.cycle.simulation",
            "view_mode": "form",
            "target": "new",
            "context": {"default_cycle_ids": self.ids},
        }

    def action_export_json(self):
        """Download the cycle definition as JSON (see optical.cycle.import)."""
        self.ensure_one()
        payload = self._optical_export()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name}.json",
                "raw": json.dumps(payload, indent=2, ensure_ascii=False).encode(),
                "mimetype": "application/json",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    # ------------------------------------------------------------------ export
    def _optical_export(self):
        """The cycle as a JSON-able dict: only portable references (codes, XML ids,
        names), never database ids."""
        self.ensure_one()
        return {
            "format": "optical_crm_cycles.cycle",
            "version": 1,
            "name": self.name,
            "trigger": self.trigger,
            "trigger_days": self.trigger_days,
            "optical_categories": sorted(self.optical_categories.mapped("code")),
            "products": [
                {"default_code": product.default_code, "name": product.name}
                for product in self.product_ids
            ],
            "segment": self.segment_id._optical_portable_ref()
            if self.segment_id
            else None,
            "reentry_policy": self.reentry_policy,
            "reentry_days": self.reentry_days,
            "late_tolerance_days": self.late_tolerance_days,
            "send_hour": self.send_hour,
            "steps": [step._optical_export() for step in self.step_ids],
        }

    def action_dispatch_now(self):
        """Send what is due now (the scheduled action does it every few minutes)."""
        if not self.env.user.has_group("optical_crm.group_optical_manager"):
            raise UserError(self.env._("Only managers can send due messages now."))
        count = self.env["optical.cycle.execution"].sudo()._optical_dispatch()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s due messages processed.", count=count),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
