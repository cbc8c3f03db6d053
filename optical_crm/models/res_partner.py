from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    optical_birthdate = fields.Date(string="Birthdate", index=True)
    optical_prescription_ids = fields.One2many(
        "optical.prescription",
        "partner_id",
        string="Prescriptions",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_exam_ids = fields.One2many(
        "optical.exam",
        "partner_id",
        string="Eye exams",
        groups="optical_crm.group_optical_optometrist",
    )
    optical_consent_ids = fields.One2many(
        "optical.consent", "partner_id", string="Consents"
    )
    optical_touchpoint_ids = fields.One2many(
        "optical.touchpoint", "partner_id", string="Touchpoints"
    )
    # Stored figures, kept current by the events that change them (invoices, exams).
    optical_last_exam_date = fields.Date(string="Last eye exam", index=True)
    optical_next_exam_date = fields.Date(string="Next eye exam (recall)", index=True)
    optical_last_purchase_date = fields.Date(string="Last purchase", index=True)
    optical_cl_runout_date = fields.Date(string="Contact lenses run out", index=True)
    optical_ltv = fields.Float(
        string="Lifetime value",
        digits="Account",
        help="Posted customer invoices less credit notes, in company currency.",
    )

    # ------------------------------------------------------------------ consent
    def _optical_contact_allowed(self, channel, purpose="marketing", company=None):
        """Whether this customer may be contacted on ``channel`` for ``purpose``.

        The latest consent row decides (marketing needs a granted one, service is
        allowed unless revoked); a valid address for the channel (a mobile number
        in E.164 for SMS) and Odoo's email and phone blacklists are honoured.

        :return: ``(allowed, reason)``, reason being a code of
            ``optical_contact_policy.EXCLUSION_REASONS`` or ``""``
        """
        self.ensure_one()
        reason = self.env["optical.contact.policy"]._optical_screen(
            self, channel, purpose, company=company, cap=False
        )[self.id]
        return not reason, reason or ""

    def _optical_record_consent(
        self, channel, purpose, granted, source, note=None, company=None
    ):
        """Append a consent row for each partner (the ledger is never edited)."""
        company = company if company is not None else self.env.company
        return (
            self.env["optical.consent"]
            .sudo()
            .create(
                [
                    {
                        "partner_id": partner.id,
                        "channel": channel,
                        "purpose": purpose,
                        "granted": granted,
                        "source": source,
                        "note": note,
                        "company_id": company.id or False,
                        "user_id": self.env.uid,
                    }
                    for partner in self
                ]
            )
        )

    @api.model
    def _optical_record_unsubscribe(self, domain, channels):
        """An opt-out through Odoo's unsubscribe links (which blacklist the number
        or the address) revokes marketing consent in the ledger, for every shop."""
        partners = self.sudo().with_context(active_test=False).search(domain)
        for channel in channels:
            partners._optical_record_consent(
                channel,
                "marketing",
                False,
                "unsubscribe",
                note=self.env._("Opted out (blacklisted)"),
                company=self.env["res.company"],
            )
