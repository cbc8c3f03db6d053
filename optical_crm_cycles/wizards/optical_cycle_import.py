import base64
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.optical_crm.models.optical_consent import CONSENT_PURPOSES

from ..models.optical_cycle import REENTRY_POLICIES, TRIGGERS
from ..models.optical_cycle_step import DELAY_FROM, DELAY_UNITS, STEP_CHANNELS

FORMAT = "optical_crm_cycles.cycle"


class OpticalCycleImport(models.TransientModel):
    """Import a cycle exported as JSON from another shop's database. Every
    reference (categories, products, activity types, SMS templates) is checked
    first; anything missing is reported and nothing is created."""

    _name = "optical.cycle.import"
    _description = "Import a cycle (JSON)"

    data_file = fields.Binary(string="JSON file")
    filename = fields.Char()
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    report = fields.Text(readonly=True)
    cycle_id = fields.Many2one("optical.cycle", readonly=True)

    def _optical_payload(self):
        self.ensure_one()
        if not self.data_file:
            raise UserError(self.env._("Choose the JSON file of a cycle."))
        try:
            payload = json.loads(base64.b64decode(self.data_file))
        except (ValueError, TypeError) as error:
            raise UserError(
                self.env._("The file is not valid JSON: %(error)s", error=error)
            ) from error
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise UserError(
                self.env._("The file is not a cycle exported by Optical CRM.")
            )
        if payload.get("version") != 1:
            raise UserError(
                self.env._(
                    "Unsupported cycle file version %(version)s.",
                    version=payload.get("version"),
                )
            )
        return payload

    @api.model
    def _optical_choice(self, problems, value, options, label):
        if value not in dict(options):
            problems.append(
                self.env._(
                    "%(field)s: unknown value %(value)r.", field=label, value=value
                )
            )
        return value

    @api.model
    def _optical_integer(self, problems, value, label):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(
                self.env._(
                    "%(field)s: %(value)r is not a valid number.",
                    field=label,
                    value=value,
                )
            )
            return 0
        return value

    @api.model
    def _optical_resolve(self, payload, company):
        """Check every value and reference: ``(values, problems)``; ``values``
        are the create values of the cycle, ``None`` when there is a problem."""
        problems = []
        name = payload.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(self.env._("The cycle has no name."))
        send_hour = payload.get("send_hour", 10.0)
        if not isinstance(send_hour, int | float) or not 0 <= send_hour < 24:
            problems.append(
                self.env._("Send time %(value)r is not valid.", value=send_hour)
            )
            send_hour = 10.0
        segment = self.env["optical.segment"]
        if payload.get("segment"):
            segment = segment._optical_from_portable_ref(payload["segment"], company)
            if not segment:
                ref = payload["segment"]
                problems.append(
                    self.env._(
                        "Segment %(name)r is missing: create it in this shop first.",
                        name=ref.get("name") if isinstance(ref, dict) else ref,
                    )
                )
        steps = payload.get("steps")
        if not isinstance(steps, list) or not steps:
            problems.append(self.env._("The cycle has no steps."))
            steps = []
        values = {
            "name": name,
            "active": False,
            "company_id": company.id,
            "segment_id": segment.id,
            "trigger": self._optical_choice(
                problems, payload.get("trigger"), TRIGGERS, self.env._("Trigger")
            ),
            "trigger_days": self._optical_integer(
                problems, payload.get("trigger_days", 0), self.env._("Days before")
            ),
            "optical_categories": [
                fields.Command.set(
                    self._optical_resolve_categories(
                        problems, payload.get("optical_categories") or []
                    ).ids
                )
            ],
            "product_ids": [
                fields.Command.set(
                    self._optical_resolve_products(
                        problems, payload.get("products") or [], company
                    ).ids
                )
            ],
            "reentry_policy": self._optical_choice(
                problems,
                payload.get("reentry_policy", "always"),
                REENTRY_POLICIES,
                self.env._("Re-entry"),
            ),
            "reentry_days": self._optical_integer(
                problems,
                payload.get("reentry_days", 90),
                self.env._("Re-entry after (days)"),
            ),
            "late_tolerance_days": self._optical_integer(
                problems,
                payload.get("late_tolerance_days", 2),
                self.env._("Late tolerance (days)"),
            ),
            "send_hour": send_hour,
            "step_ids": [
                fields.Command.create(self._optical_resolve_step(problems, step, n))
                for n, step in enumerate(steps, start=1)
            ],
        }
        return (None if problems else values), problems

    @api.model
    def _optical_resolve_categories(self, problems, codes):
        categories = self.env["optical.cycle.category"]
        for code in codes:
            category = categories.search([("code", "=", code)], limit=1)
            if not category:
                problems.append(
                    self.env._("Optical category %(code)r is missing.", code=code)
                )
            categories |= category
        return categories

    @api.model
    def _optical_resolve_products(self, problems, items, company):
        Product = self.env["product.product"]
        products = Product
        company_domain = [("company_id", "in", (False, company.id))]
        for item in items:
            item = item if isinstance(item, dict) else {}
            product = Product
            if item.get("default_code"):
                product = Product.search(
                    [("default_code", "=", item["default_code"])] + company_domain,
                    limit=1,
                )
            if not product and item.get("name"):
                product = Product.search(
                    [("name", "=", item["name"])] + company_domain, limit=1
                )
            if not product:
                problems.append(
                    self.env._(
                        "Product %(code)s %(name)s is missing.",
                        code=item.get("default_code") or "",
                        name=item.get("name") or "",
                    )
                )
            products |= product
        return products

    @api.model
    def _optical_resolve_step(self, problems, step, index):
        label = self.env._("Step %(n)s", n=index)
        if not isinstance(step, dict):
            problems.append(self.env._("%(step)s is not valid.", step=label))
            return {}
        channel = self._optical_choice(
            problems, step.get("channel"), STEP_CHANNELS, label
        )
        vals = {
            "name": step.get("name") or label,
            "sequence": self._optical_integer(
                problems, step.get("sequence", index * 10), label
            ),
            "delay_count": self._optical_integer(
                problems, step.get("delay_count", 0), label
            ),
            "delay_unit": self._optical_choice(
                problems, step.get("delay_unit"), DELAY_UNITS, label
            ),
            "delay_from": self._optical_choice(
                problems, step.get("delay_from", "trigger"), DELAY_FROM, label
            ),
            "channel": channel,
            "purpose": self._optical_choice(
                problems, step.get("purpose", "marketing"), CONSENT_PURPOSES, label
            ),
            "skip_if_repurchased": bool(step.get("skip_if_repurchased", True)),
        }
        if channel == "sms":
            body = step.get("sms_body")
            template_ref = step.get("sms_template")
            if template_ref:
                template = self._optical_find_sms_template(template_ref)
                if not template:
                    problems.append(
                        self.env._(
                            "%(step)s: SMS template %(template)r is missing.",
                            step=label,
                            template=template_ref,
                        )
                    )
                body = body or template.body
            if not body:
                problems.append(
                    self.env._("%(step)s: the SMS has no text.", step=label)
                )
            vals["sms_body"] = body
        elif channel == "email":
            if not step.get("email_subject") or not step.get("email_body"):
                problems.append(
                    self.env._(
                        "%(step)s: the email needs a subject and a body.", step=label
                    )
                )
            vals["email_subject"] = step.get("email_subject")
            vals["email_body"] = step.get("email_body")
        elif channel == "phone":
            ref = step.get("activity_type") or {}
            ref = ref if isinstance(ref, dict) else {"name": ref}
            activity_type = self._optical_find_activity_type(ref)
            if not activity_type:
                problems.append(
                    self.env._(
                        "%(step)s: activity type %(type)r is missing.",
                        step=label,
                        type=" / ".join(
                            str(ref[key]) for key in ("xmlid", "name") if ref.get(key)
                        ),
                    )
                )
            vals.update(
                {
                    "activity_type_id": activity_type.id,
                    "activity_summary": step.get("activity_summary"),
                    "activity_note": step.get("activity_note"),
                }
            )
        return vals

    @api.model
    def _optical_find_sms_template(self, ref):
        ref = ref if isinstance(ref, dict) else {"xmlid": ref}
        template = self.env["sms.template"]
        if ref.get("xmlid"):
            template = self.env.ref(ref["xmlid"], raise_if_not_found=False) or template
            if template and template._name != "sms.template":
                template = self.env["sms.template"]
        if not template and ref.get("name"):
            template = template.search([("name", "=", ref["name"])], limit=1)
        return template

    @api.model
    def _optical_find_activity_type(self, ref):
        Type = self.env["mail.activity.type"]
        found = Type
        if ref.get("xmlid"):
            found = self.env.ref(ref["xmlid"], raise_if_not_found=False) or Type
            if found and found._name != Type._name:
                found = Type
        if not found and ref.get("name"):
            found = Type.search([("name", "=", ref["name"])], limit=1)
        return found

    def action_check(self):
        self.ensure_one()
        _values, problems = self._optical_resolve(
            self._optical_payload(), self.company_id
        )
        self.report = (
            "\n".join(problems)
            if problems
            else self.env._("Everything the cycle refers to exists: ready to import.")
        )
        return self._optical_reopen()

    def action_import(self):
        self.ensure_one()
        values, problems = self._optical_resolve(
            self._optical_payload(), self.company_id
        )
        if problems:
            raise UserError(
                self.env._(
                    "The cycle was not imported; missing or invalid:\n%(problems)s",
                    problems="\n".join(f"- {p}" for p in problems),
                )
            )
        cycle = self.env["optical.cycle"].create(values)
        return {
            "type": "ir.actions.act_window",
            "res_model": "optical.cycle",
            "res_id": cycle.id,
            "view_mode": "form",
        }

    def _optical_reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
