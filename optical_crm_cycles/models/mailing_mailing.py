from odoo import fields, models
from odoo.exceptions import UserError


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

    def _get_seen_list(self):
        # a cycle step goes to the same address again when the customer is
        # enrolled again (a later invoice): one message per execution, not per email
        if self.optical_cycle_step_id:
            return set()
        return super()._get_seen_list()
