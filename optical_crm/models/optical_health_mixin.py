import threading
from contextlib import contextmanager

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.osv import expression

# Set while an outbound message is rendered (see mail.render.mixin). It lives in
# this module, per thread, outside any environment: a template can change its
# record's context, user or environment (``with_context``, ``sudo``, ``env(...)``)
# but cannot reach a module's globals, and no method turns the lock off.
_RENDERING = threading.local()


@contextmanager
def health_data_locked():
    """Lock the health models for this thread while the block runs.

    Only trusted server code enters it (``mail.render.mixin._render_template``);
    nested blocks keep the lock until the outermost one ends.
    """
    depth = getattr(_RENDERING, "depth", 0)
    _RENDERING.depth = depth + 1
    try:
        yield
    finally:
        _RENDERING.depth = depth


def health_data_is_locked():
    return getattr(_RENDERING, "depth", 0) > 0


class OpticalHealthMixin(models.AbstractModel):
    """Health data (prescriptions, eye exams): never in an SMS, an email or a page.

    While an outbound message is rendered (``health_data_locked()``, entered by
    ``mail.render.mixin._render_template``), the models inheriting this mixin cannot
    be searched or read, whatever the template tries (``object.x_ids``, a reference
    field, ``object.env[...]``, ``with_context``, ``sudo``) and even as the
    superuser the mailing cron runs as. Models mixing health and other rows (the
    customer timeline) set ``_optical_health_domain`` instead: while rendering, they
    only show the rows outside it.
    """

    _name = "optical.health.mixin"
    _description = "Health data guard"
    _optical_health_domain = None

    def _optical_check_not_rendering(self):
        if health_data_is_locked() and not self._optical_health_domain:
            raise AccessError(
                self.env._(
                    "Prescriptions and eye exams are health data: they never go "
                    "into an SMS, an email or a public page. Remove them from the "
                    "message."
                )
            )

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        if health_data_is_locked() and self._optical_health_domain:
            domain = expression.AND([domain, self._optical_health_domain])
        else:
            self._optical_check_not_rendering()
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def fetch(self, field_names):
        self._optical_check_not_rendering()
        return super().fetch(field_names)
