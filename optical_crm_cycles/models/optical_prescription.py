from odoo import models


class OpticalPrescription(models.Model):
    """Trigger ``prescription_expiry``: a prescription given to another customer,
    with another expiry date or deleted stops what it planned (the nightly
    trigger enrolls it again as it is now)."""

    _inherit = "optical.prescription"

    def write(self, vals):
        res = super().write(vals)
        if {"partner_id", "expiry_date", "date"} & set(vals):
            self.env["optical.cycle.enrollment"].sudo()._optical_follow_sources(
                self.sudo()
            )
        return res

    def unlink(self):
        self.env["optical.cycle.enrollment"].sudo()._optical_follow_sources(
            self.sudo(), deleted=True
        )
        return super().unlink()
