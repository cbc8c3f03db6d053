from odoo import api, models


class ReportOpticalPrescription(models.AbstractModel):
    _name = "report.optical_crm.optical_prescription_report"
    _description = "Printed prescription"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["optical.prescription"].browse(docids)
        # health data: refuse before rendering anything for users without access
        docs.check_access("read")
        return {"doc_ids": docids, "doc_model": docs._name, "docs": docs}
