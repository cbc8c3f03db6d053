from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_optical_view_cycle_messages(self):
        """The customer's cycle messages in the current shop: planned, sent and
        those that could not go, each with its reason."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "optical_crm_cycles.optical_cycle_execution_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
