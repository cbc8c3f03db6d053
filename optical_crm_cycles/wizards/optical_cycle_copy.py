from odoo import fields, models
from odoo.exceptions import UserError


class OpticalCycleCopy(models.TransientModel):
    """Copy cycles (a ready-made one, or one a consultant tuned) to other shops of
    the chain: each copy is checked as an import into that shop would be (its
    products, segment, activity types...) and created inactive; if anything is
    missing in any shop, nothing is created."""

    _name = "optical.cycle.copy"
    _description = "Copy cycles to other shops"

    cycle_ids = fields.Many2many(
        "optical.cycle",
        string="Cycles",
        required=True,
        context={"active_test": False},  # the ready-made ones are inactive
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Shops",
        required=True,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )

    def action_copy(self):
        self.ensure_one()
        Import = self.env["optical.cycle.import"]
        to_create, problems = [], []
        for company in self.company_ids:
            for cycle in self.cycle_ids:
                values, cycle_problems = Import.with_company(company)._optical_resolve(
                    cycle._optical_export(), company
                )
                problems += [
                    self.env._(
                        "%(cycle)s → %(shop)s: %(problem)s",
                        cycle=cycle.name,
                        shop=company.name,
                        problem=problem,
                    )
                    for problem in cycle_problems
                ]
                to_create.append((company, values))
        if problems:
            raise UserError(
                self.env._(
                    "No cycle was copied; missing or invalid:\n%(problems)s",
                    problems="\n".join(f"- {p}" for p in problems),
                )
            )
        copies = self.env["optical.cycle"]
        for company, values in to_create:
            copies |= copies.with_company(company).create(values)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copied cycles"),
            "res_model": "optical.cycle",
            "view_mode": "list,form",
            "domain": [("id", "in", copies.ids)],
            "context": {
                "active_test": False,
                "allowed_company_ids": self.env.companies.ids + self.company_ids.ids,
            },
        }
