from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    optical_cycle_step_id = fields.Many2one(
        "optical.cycle.step",
        string="Cycle step",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="This mailing is the content of a cycle step: the cycle sends it, "
        "message by message, when each customer's step falls due.",
    )

    def _optical_sending_company(self):
        return (
            self.sudo().optical_cycle_step_id.company_id
            or super()._optical_sending_company()
        )

    def _optical_check_not_cycle(self):
        if any(self.mapped("optical_cycle_step_id")):
            raise UserError(
                self.env._(
                    "This mailing belongs to a step of an automated cycle: the cycle "
                    "sends it to each customer when the step falls due. Edit it "
                    "from the cycle."
                )
            )

    def action_put_in_queue(self):
        self._optical_check_not_cycle()
        return super().action_put_in_queue()

    def action_send_sms(self, res_ids=None):
        if not res_ids:
            self._optical_check_not_cycle()
        return super().action_send_sms(res_ids=res_ids)

    def _action_send_mail(self, res_ids=None):
        if not res_ids:
            self._optical_check_not_cycle()
        return super()._action_send_mail(res_ids=res_ids)

    def _get_seen_list_sms(self):
        # a cycle sends a step's mailing batch by batch: only the executions of the
        # batch matter (one trace each, ever); the whole mailing's history would
        # make every batch slower than the previous one
        res_ids = self.env.context.get("optical_cycle_res_ids")
        if not self.optical_cycle_step_id or res_ids is None:
            return super()._get_seen_list_sms()
        self.env["mailing.trace"].flush_model(["mass_mailing_id", "model", "res_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT res_id FROM mailing_trace WHERE mass_mailing_id = %s "
                "AND model = %s AND res_id = ANY(%s)",
                self.id,
                self.mailing_model_real,
                list(res_ids),
            )
        )
        return [row[0] for row in rows], []

    def _get_seen_list(self):
        # a cycle step goes to the same address again when the customer is
        # enrolled again (a later sale): one message per execution, not per email
        if self.optical_cycle_step_id:
            return set()
        return super()._get_seen_list()
