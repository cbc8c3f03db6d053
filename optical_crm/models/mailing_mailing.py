import re

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

# dynamic parts of a message: {{ ... }} (inline templates, t-attf), #{ ... } and
# QWeb expressions in the email body
DYNAMIC_RE = re.compile(
    r"\{\{(.+?)\}\}|#\{(.+?)\}|\bt-[\w-]+\s*=\s*\"([^\"]*)\"|\bt-[\w-]+\s*=\s*'([^']*)'",
    re.DOTALL,
)
WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# names too common to tell a prescription or an exam from anything else
GENERIC_FIELDS = {"date", "name", "note", "kind", "active", "sequence"}


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    optical_campaign_id = fields.Many2one(
        "optical.campaign",
        string="Optical campaign",
        index="btree_not_null",
        ondelete="set null",
        copy=False,
        help="The campaign this mailing is the content of: it is sent by the "
        "campaign, through the contact policy, never from here.",
    )

    @api.model
    @tools.ormcache()
    def _optical_health_names(self):
        """Field and model names that lead to health data in a placeholder: the
        fields leading to prescriptions and exams, and their own fields that no
        other model has."""
        health, leads = self.env["mail.render.mixin"]._optical_health_fields()
        names = {fname for _model, fnames in leads for fname in fnames}
        common = set(GENERIC_FIELDS)
        for name, model in self.pool.items():
            if name not in health:
                common.update(model._fields)
        for model in health:
            names |= set(self.pool[model]._fields) - common
            names.add(model.replace(".", "_"))
        return frozenset(names), health

    @api.constrains("subject", "body_plaintext", "body_html")
    def _check_optical_no_health_data(self):
        names, health = self._optical_health_names()
        for mailing in self:
            found = set()
            for text in (mailing.subject, mailing.body_plaintext, mailing.body_html):
                for groups in DYNAMIC_RE.findall(str(text or "")):
                    expression = "".join(groups)
                    found |= names & set(WORD_RE.findall(expression))
                    found |= {model for model in health if model in expression}
            if found:
                raise ValidationError(
                    self.env._(
                        "The message of %(mailing)s refers to prescriptions or eye "
                        "exams (%(names)s): health data never goes into an SMS or "
                        "an email.",
                        mailing=mailing.subject or mailing.name or "",
                        names=", ".join(sorted(found)),
                    )
                )

    def _optical_sending_company(self):
        """The shop that sends this mailing (empty when it is not one of ours).

        Public opt-outs of its messages are recorded for this shop. Addons whose
        models own mailings (cycle steps, landing pages) add theirs."""
        self.ensure_one()
        return self.sudo().optical_campaign_id.company_id

    def _optical_check_not_campaign(self):
        owned = self.filtered("optical_campaign_id")
        if owned:
            raise UserError(
                self.env._(
                    "The mailing %(mailing)s is the content of the campaign "
                    "%(campaign)s: schedule and send it from the campaign, so that "
                    "consent, send window and frequency cap are applied.",
                    mailing=owned[0].subject,
                    campaign=owned[0].optical_campaign_id.name,
                )
            )

    def action_launch(self):
        self._optical_check_not_campaign()
        return super().action_launch()

    def action_schedule(self):
        self._optical_check_not_campaign()
        return super().action_schedule()

    def action_put_in_queue(self):
        self._optical_check_not_campaign()
        return super().action_put_in_queue()
