from odoo import api, models
from odoo.exceptions import AccessError
from odoo.osv import expression

# the context key set while a message (SMS, email) is rendered: see mail.render.mixin
NO_HEALTH_CONTEXT = "optical_no_health"


class OpticalHealthMixin(models.AbstractModel):
    """Health data (prescriptions, eye exams): never in an SMS, an email or a page.

    While an outbound message is rendered (context ``optical_no_health``, set by
    ``mail.render.mixin._render_template``), the models inheriting this mixin cannot
    be searched or read, whatever the template tries (``object.x_ids``, a reference
    field, ``object.env[...]``) and even as the superuser the mailing cron runs as.
    Models mixing health and other rows (the customer timeline) set
    ``_optical_health_domain`` instead: while rendering, they only show the rows
    outside it.
    """

    _name = "optical.health.mixin"
    _description = "Health data guard"
    _optical_health_domain = None

    def _optical_check_not_rendering(self):
        if self.env.context.get(NO_HEALTH_CONTEXT) and not self._optical_health_domain:
            raise AccessError(
                self.env._(
                    "Prescriptions and eye exams are health data: they never go "
                    "into an SMS, an email or a public page. Remove them from the "
                    "message."
                )
            )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if self.env.context.get(NO_HEALTH_CONTEXT) and self._optical_health_domain:
            domain = expression.AND([domain, self._optical_health_domain])
        else:
            self._optical_check_not_rendering()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def fetch(self, field_names):
        self._optical_check_not_rendering()
        return super().fetch(field_names)
