from odoo import api, models


class OpticalExam(models.Model):
    """Trigger ``exam_done``: kept small on purpose (optical.exam is completed on
    another branch). An exam counts as done when its ``state`` is ``done`` if the
    model has a state, else as soon as it is recorded."""

    _inherit = "optical.exam"

    @api.model_create_multi
    def create(self, vals_list):
        exams = super().create(vals_list)
        exams._optical_cycles_exam_done()
        return exams

    def write(self, vals):
        res = super().write(vals)
        if {"state", "date", "partner_id"} & set(vals):
            self._optical_cycles_exam_done()
        return res

    def unlink(self):
        # the exam is gone: the messages it planned no longer have a reason
        self.env["optical.cycle.enrollment"].sudo()._optical_follow_sources(
            self.sudo(), deleted=True
        )
        return super().unlink()

    def _optical_cycles_exam_done(self):
        done = self
        if "state" in self._fields:
            done = self.filtered(lambda exam: exam.state == "done")
        if done:
            self.env["optical.cycle.enrollment"].sudo()._optical_on_exams_done(
                done.sudo()
            )
