from odoo import api, fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    optical_cycle_execution_id = fields.Many2one(
        "optical.cycle.execution",
        string="Cycle message",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        self.optical_cycle_execution_id._optical_call_done()
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    @api.ondelete(at_uninstall=True)
    def _unlink_optical_cycle_call(self):
        # a call deleted without being done: the cycle message is cancelled
        self.sudo().optical_cycle_execution_id._optical_call_cancelled()
