from odoo import api, models, tools

from .optical_health_mixin import health_data_locked

HEALTH_GROUP = "optical_crm.group_optical_optometrist"


class MailRenderMixin(models.AbstractModel):
    """Every SMS and email rendered by Odoo (mailings of campaigns and cycles,
    composers, templates) is rendered without access to health data."""

    _inherit = "mail.render.mixin"

    @api.model
    @tools.ormcache()
    def _optical_health_fields(self):
        """``(health models, ((model, fields), ...))``: the models holding health
        data and the fields of other models that lead to them or count them."""
        mixin = self.pool["optical.health.mixin"]
        health = tuple(
            name
            for name in mixin._inherit_children
            if not self.pool[name]._optical_health_domain
        )
        leads = []
        for name, model in self.pool.items():
            if name in health or model._abstract:
                continue
            fnames = tuple(
                fname
                for fname, field in model._fields.items()
                if field.comodel_name in health
                or HEALTH_GROUP in (field.groups or "").split(",")
            )
            if fnames:
                leads.append((name, fnames))
        return health, tuple(leads)

    @api.model
    def _render_template(
        self,
        template_src,
        model,
        res_ids,
        engine="inline_template",
        add_context=None,
        options=None,
    ):
        health, leads = self._optical_health_fields()
        if model in health:
            # a document about the prescription or exam itself, by its optometrist
            # (inside another message's rendering, the lock still holds)
            return super()._render_template(
                template_src, model, res_ids, engine, add_context, options
            )
        # nothing read earlier in this transaction may be reused while rendering
        for name in health:
            self.env[name].invalidate_model()
        for name, fnames in leads:
            self.env[name].invalidate_model(list(fnames))
        with health_data_locked():
            return super()._render_template(
                template_src, model, res_ids, engine, add_context, options
            )
