"""The shop dashboard and the customer lists behind its figures.

Every figure that counts customers is the size of an *audience*: a key such as
``"lapsed:3"`` that ``res.partner`` understands in domains
(``[("optical_audience", "=", "lapsed:3")]``), so that the number shown and the list
opened from it are the same query. Keys are ``name[:company_id[:arg...]]``; without a
company the shops currently selected in the company switcher are used. Dates are
relative to the day of the search, so a saved filter or segment stays current.

=====================  =======================================================
key                    customers
=====================  =======================================================
``active``             bought in the last 18 months
``new``                first purchase in the last 12 months
``lapsed``             bought before, but not in the last 18 months
``segment:C:<name>``   in that value segment (champions, loyal, at_risk...)
``exam_due``           next eye exam by 30 days from today (overdue included)
``exam_due_month``     next eye exam in the current month
``exam_recall``        next eye exam by the end of the current month (overdue
                       included)
``cl_runout``          contact lenses run out within 30 days from today
``forecast:C:<cat>``   next purchase of the optical category within 30 days
``customers:C:<Y>``    bought in year Y
``retained:C:<Y>``     bought in year Y and again in year Y+1
``cohort:C:<Y>:<Z>``   first purchase in year Y, bought in year Z
``converted:C:<o>``    bought in the last 12 months after a message from a
                       ``campaign`` or a ``cycle`` (last touch, see
                       ``optical.contact.log._optical_attributed_sql``)
=====================  =======================================================

Exams and contact lenses are profile dates of the customer; they count for a shop
when the customer bought there or had an eye exam there.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_amount, format_date

from .optical_customer_value import (
    LAPSED_MONTHS,
    NEW_MONTHS,
    VALUE_SEGMENTS,
)
from .product_template import OPTICAL_CATEGORIES

RECALL_DAYS = 30
ATTRIBUTION_MONTHS = 12
# origin of a message in optical.contact.log (res_model) -> dashboard name
ATTRIBUTION_ORIGINS = {"campaign": "optical.campaign", "cycle": "optical.cycle.step"}


class OpticalValueDashboard(models.AbstractModel):
    _name = "optical.value.dashboard"
    _description = "Customer value dashboard"

    # ------------------------------------------------------------------ audiences
    @api.model
    def _optical_audience_sql(self, key):
        """SQL selecting the ids of the customers of audience ``key``."""
        if not isinstance(key, str) or not key:
            raise UserError(self.env._("A customer list needs a name."))
        name, _sep, rest = key.partition(":")
        parts = rest.split(":") if rest else []
        company_ids = self._optical_audience_companies(parts[0] if parts else "")
        args = parts[1:]
        method = AUDIENCES.get(name)
        if not method:
            raise UserError(self.env._("Unknown customer list %(key)s.", key=repr(key)))
        try:
            return getattr(self, method)(
                company_ids, fields.Date.context_today(self), *args
            )
        except (TypeError, ValueError) as error:
            raise UserError(
                self.env._(
                    "The customer list %(key)s is malformed: %(error)s",
                    key=repr(key),
                    error=error,
                )
            ) from error

    @api.model
    def _optical_audience_companies(self, company):
        if not company:
            return self.env.companies.ids
        try:
            company_id = int(company)
        except ValueError as error:
            raise UserError(
                self.env._("%(shop)s is not a shop.", shop=repr(company))
            ) from error
        if not self.env.su and company_id not in self.env.user.company_ids.ids:
            raise AccessError(
                self.env._("You have no access to the customers of this shop.")
            )
        return [company_id]

    @api.model
    def _optical_shop_customers_sql(self, company_ids):
        return SQL(
            """
            SELECT partner_id FROM optical_customer_value WHERE company_id = ANY(%(c)s)
            UNION
            SELECT partner_id FROM optical_exam WHERE company_id = ANY(%(c)s)
            """,
            c=company_ids,
        )

    @api.model
    def _optical_recency_sql(self, company_ids, having):
        return SQL(
            """
            SELECT partner_id FROM optical_customer_value
             WHERE company_id = ANY(%s) AND purchase_count > 0
             GROUP BY partner_id HAVING %s
            """,
            company_ids,
            having,
        )

    @api.model
    def _optical_audience_active(self, company_ids, today):
        cutoff = today - relativedelta(months=LAPSED_MONTHS)
        return self._optical_recency_sql(
            company_ids, SQL("MAX(last_purchase_date) >= %s", cutoff)
        )

    @api.model
    def _optical_audience_new(self, company_ids, today):
        cutoff = today - relativedelta(months=NEW_MONTHS)
        return self._optical_recency_sql(
            company_ids, SQL("MIN(first_purchase_date) >= %s", cutoff)
        )

    @api.model
    def _optical_audience_lapsed(self, company_ids, today):
        cutoff = today - relativedelta(months=LAPSED_MONTHS)
        return self._optical_recency_sql(
            company_ids, SQL("MAX(last_purchase_date) < %s", cutoff)
        )

    @api.model
    def _optical_audience_segment(self, company_ids, today, segment):
        if segment not in dict(VALUE_SEGMENTS):
            raise ValueError(segment)
        return SQL(
            "SELECT partner_id FROM optical_customer_value "
            "WHERE company_id = ANY(%s) AND segment = %s",
            company_ids,
            segment,
        )

    @api.model
    def _optical_profile_date_sql(self, company_ids, column, date_from, date_to):
        """Customers whose profile date ``column`` in one of the shops (that
        shop's own figure: a customer of the shop) is within the bounds."""
        value = self.env["res.partner"]._optical_profile_sql(
            "p", column, SQL("shop.id")
        )
        bounds = [SQL("%s IS NOT NULL", value)]
        if date_from:
            bounds.append(SQL("%s >= %s", value, date_from))
        if date_to:
            bounds.append(SQL("%s <= %s", value, date_to))
        return SQL(
            "SELECT p.id FROM res_partner p, unnest(%s::int[]) AS shop(id) "
            "WHERE p.%s IS NOT NULL AND %s",
            company_ids,
            SQL.identifier(column),
            SQL(" AND ").join(bounds),
        )

    @api.model
    def _optical_audience_exam_due(self, company_ids, today):
        return self._optical_profile_date_sql(
            company_ids,
            "optical_next_exam_date",
            None,
            today + dt.timedelta(days=RECALL_DAYS),
        )

    @api.model
    def _optical_audience_exam_due_month(self, company_ids, today):
        return self._optical_profile_date_sql(
            company_ids,
            "optical_next_exam_date",
            today.replace(day=1),
            today + relativedelta(day=31),
        )

    @api.model
    def _optical_audience_exam_recall(self, company_ids, today):
        return self._optical_profile_date_sql(
            company_ids, "optical_next_exam_date", None, today + relativedelta(day=31)
        )

    @api.model
    def _optical_audience_cl_runout(self, company_ids, today):
        return self._optical_profile_date_sql(
            company_ids,
            "optical_cl_runout_date",
            today,
            today + dt.timedelta(days=RECALL_DAYS),
        )

    @api.model
    def _optical_audience_forecast(self, company_ids, today, category):
        if category not in dict(OPTICAL_CATEGORIES):
            raise ValueError(category)
        return SQL(
            """
            SELECT partner_id FROM optical_customer_forecast
             WHERE company_id = ANY(%s) AND optical_category = %s
               AND next_purchase_date BETWEEN %s AND %s
            """,
            company_ids,
            category,
            today,
            today + dt.timedelta(days=RECALL_DAYS),
        )

    @api.model
    def _optical_purchase_years_sql(self, company_ids, year_from=None, year_to=None):
        """(partner_id, year) of every year a customer bought in the shops
        (a purchase of any kind in the sales ledger)."""
        dates = [SQL("TRUE")]
        if year_from:
            dates.append(SQL("s.sale_date >= %s", dt.date(year_from, 1, 1)))
        if year_to:
            dates.append(SQL("s.sale_date <= %s", dt.date(year_to, 12, 31)))
        sales = self.env["optical.sale.line"]._optical_sales_sql(
            company_ids, where=SQL(" AND ").join(dates)
        )
        return SQL(
            """
            SELECT sa.partner_id, EXTRACT(year FROM sa.sale_date)::int AS year
              FROM (%s) sa
              JOIN res_partner p ON p.id = sa.partner_id AND p.active
             WHERE sa.is_purchase
             GROUP BY sa.partner_id, EXTRACT(year FROM sa.sale_date)
            """,
            sales,
        )

    @api.model
    def _optical_audience_customers(self, company_ids, today, year):
        year = int(year)
        return SQL(
            "SELECT partner_id FROM (%s) py",
            self._optical_purchase_years_sql(company_ids, year, year),
        )

    @api.model
    def _optical_audience_retained(self, company_ids, today, year):
        year = int(year)
        return SQL(
            """
            SELECT partner_id FROM (%s) py
             GROUP BY partner_id HAVING COUNT(*) = 2
            """,
            self._optical_purchase_years_sql(company_ids, year, year + 1),
        )

    @api.model
    def _optical_audience_cohort(self, company_ids, today, cohort, year):
        return SQL(
            """
            SELECT partner_id FROM (%s) py
             GROUP BY partner_id
            HAVING MIN(year) = %s AND bool_or(year = %s)
            """,
            self._optical_purchase_years_sql(company_ids, None, int(year)),
            int(cohort),
            int(year),
        )

    @api.model
    def _optical_attributed_sql(self, company_ids, today):
        """Sales of the last 12 months with the message they are attributed to,
        by the one rule of ``optical.contact.log._optical_attributed_sql``.
        Columns used: ``partner_id, amount, res_model, is_control``."""
        return self.env["optical.contact.log"]._optical_attributed_sql(
            company_ids=company_ids,
            date_from=today
            - relativedelta(months=ATTRIBUTION_MONTHS)
            + dt.timedelta(1),
            date_to=today,
        )

    @api.model
    def _optical_audience_converted(self, company_ids, today, origin):
        if origin not in ATTRIBUTION_ORIGINS:
            raise ValueError(origin)
        return SQL(
            """
            SELECT partner_id FROM (%s) t
             WHERE t.res_model = %s AND t.is_control IS NOT TRUE
            """,
            self._optical_attributed_sql(company_ids, today),
            ATTRIBUTION_ORIGINS[origin],
        )

    # ------------------------------------------------------------------ figures
    @api.model
    def _optical_check_access(self):
        self.env["optical.customer.value"].check_access("read")

    @api.model
    def _optical_count(self, key):
        return self.env["res.partner"].search_count([("optical_audience", "=", key)])

    @api.model
    def _optical_figure(self, name, company=None):
        """One figure of the dashboard of ``company`` (default: the current shop):
        a dict with ``key`` (the audience behind it), ``value``, ``label``,
        ``help`` and, for money, ``amount`` and ``formatted``."""
        self._optical_check_access()
        company = company or self.env.company
        today = fields.Date.context_today(self)
        cid = company.id
        _ = self.env._
        if name == "attribution":
            return self._optical_figure_attribution(company, today)
        if name == "retention":
            return self._optical_figure_retention(company, today)
        if name == "cohorts":
            return self._optical_figure_cohorts(company, today)
        if name == "segments":
            return self._optical_figure_segments(company)
        labels = {
            "active": (
                _("Active customers"),
                _("Bought in the last %(months)s months.", months=LAPSED_MONTHS),
            ),
            "new": (
                _("New customers"),
                _("First purchase in the last %(months)s months.", months=NEW_MONTHS),
            ),
            "lapsed": (
                _("Lapsed customers"),
                _("No purchase in the last %(months)s months.", months=LAPSED_MONTHS),
            ),
            "exam_due_month": (
                _("Eye exams due this month"),
                _(
                    "Next eye exam in %(month)s.",
                    month=format_date(self.env, today, date_format="MMMM y"),
                ),
            ),
            "cl_runout": (
                _("Contact lenses running out"),
                _("Run out within %(days)s days.", days=RECALL_DAYS),
            ),
        }
        if name not in labels:
            raise UserError(_("Unknown dashboard figure %(name)s.", name=repr(name)))
        key = f"{name}:{cid}"
        label, help_text = labels[name]
        return {
            "name": name,
            "key": key,
            "label": label,
            "help": help_text,
            "value": self._optical_count(key),
        }

    @api.model
    def _optical_figure_attribution(self, company, today):
        _ = self.env._
        self.env["optical.sale.line"].flush_model()
        self.env["optical.contact.log"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT res_model, COUNT(DISTINCT partner_id), COALESCE(SUM(amount), 0)
                  FROM (%s) t
                 WHERE t.is_control IS NOT TRUE AND t.res_model IN %s
                 GROUP BY res_model
                """,
                self._optical_attributed_sql([company.id], today),
                tuple(ATTRIBUTION_ORIGINS.values()),
            )
        )
        found = {res_model: (people, amount) for res_model, people, amount in rows}
        labels = {
            "campaign": _("Revenue from campaigns"),
            "cycle": _("Revenue from cycles"),
        }
        result = []
        for origin, res_model in ATTRIBUTION_ORIGINS.items():
            people, amount = found.get(res_model, (0, 0.0))
            result.append(
                {
                    "name": origin,
                    "key": f"converted:{company.id}:{origin}",
                    "label": labels[origin],
                    "help": _(
                        "Sales of the last %(months)s months after a message "
                        "(last touch within %(days)s days), untaxed, refunds "
                        "deducted: %(customers)s customers.",
                        months=ATTRIBUTION_MONTHS,
                        days=company.optical_attribution_days,
                        customers=people,
                    ),
                    "value": people,
                    "amount": float(amount),
                    "formatted": format_amount(
                        self.env, float(amount), company.currency_id
                    ),
                }
            )
        return result

    @api.model
    def _optical_figure_retention(self, company, today):
        self.env["optical.sale.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH py AS (%s)
                SELECT a.year, COUNT(*), COUNT(b.partner_id)
                  FROM py a
                  LEFT JOIN py b ON b.partner_id = a.partner_id AND b.year = a.year + 1
                 WHERE a.year < %s
                 GROUP BY a.year ORDER BY a.year
                """,
                self._optical_purchase_years_sql([company.id]),
                today.year,
            )
        )
        _ = self.env._
        years = []
        for year, customers, retained in rows:
            years.append(
                {
                    "year": year,
                    "next_year": year + 1,
                    "partial": year + 1 == today.year,
                    "customers": customers,
                    "retained": retained,
                    "rate": round(100.0 * retained / customers, 1),
                    "customers_key": f"customers:{company.id}:{year}",
                    "key": f"retained:{company.id}:{year}",
                }
            )
        complete = [row for row in years if not row["partial"]]
        headline = complete[-1] if complete else None
        return {
            "name": "retention",
            "label": _("Retention"),
            "help": _(
                "Customers of a year who bought again the following year "
                "(the last line: this year so far)."
            ),
            "headline": headline,
            "rows": years,
        }

    @api.model
    def _optical_figure_cohorts(self, company, today):
        self.env["optical.sale.line"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                WITH py AS (%s),
                cohort AS (SELECT partner_id, MIN(year) AS first_year
                             FROM py GROUP BY partner_id)
                SELECT c.first_year, py.year, COUNT(*)
                  FROM py JOIN cohort c ON c.partner_id = py.partner_id
                 GROUP BY c.first_year, py.year
                 ORDER BY c.first_year, py.year
                """,
                self._optical_purchase_years_sql([company.id]),
            )
        )
        cohorts = {}
        for first_year, year, count in rows:
            cohorts.setdefault(first_year, {})[year] = count
        years = sorted({year for cells in cohorts.values() for year in cells})
        table = []
        for first_year, cells in sorted(cohorts.items()):
            size = cells[first_year]
            table.append(
                {
                    "cohort": first_year,
                    "size": size,
                    "cells": [
                        {
                            "year": year,
                            "count": cells.get(year, 0),
                            "rate": round(100.0 * cells.get(year, 0) / size, 1),
                            "key": f"cohort:{company.id}:{first_year}:{year}",
                        }
                        if year >= first_year
                        else {"year": year, "count": None}
                        for year in years
                    ],
                }
            )
        return {
            "name": "cohorts",
            "label": self.env._("Cohorts by year of first purchase"),
            "help": self.env._(
                "Customers who bought for the first time in a year (rows) and "
                "bought in each following year (columns)."
            ),
            "years": years,
            "rows": table,
        }

    @api.model
    def _optical_figure_segments(self, company):
        Value = self.env["optical.customer.value"]
        counts = dict(
            Value._read_group(
                [("company_id", "=", company.id), ("partner_id.active", "=", True)],
                ["segment"],
                ["__count"],
            )
        )
        labels = dict(Value._fields["segment"]._description_selection(self.env))
        return {
            "name": "segments",
            "label": self.env._("Customers by segment"),
            "rows": [
                {
                    "segment": segment,
                    "label": labels[segment],
                    "value": counts.get(segment, 0),
                    "key": f"segment:{company.id}:{segment}",
                }
                for segment, _label in VALUE_SEGMENTS
            ],
        }

    # ------------------------------------------------------------------ RPC
    @api.model
    def optical_dashboard_data(self):
        """Everything the dashboard client action shows, for the current shop."""
        self._optical_check_access()
        company = self.env.company
        cards = [
            self._optical_figure(name, company)
            for name in ("active", "new", "lapsed", "exam_due_month", "cl_runout")
        ]
        return {
            "company": company.display_name,
            "today": format_date(self.env, fields.Date.context_today(self)),
            "cards": cards,
            "attribution": self._optical_figure("attribution", company),
            "retention": self._optical_figure("retention", company),
            "cohorts": self._optical_figure("cohorts", company),
            "segments": self._optical_figure("segments", company),
        }

    @api.model
    def optical_dashboard_open(self, key, title=None):
        """The customers behind a figure, as a window action on res.partner."""
        self._optical_check_access()
        self._optical_audience_sql(key)  # validates the key and the shop
        return {
            "type": "ir.actions.act_window",
            "name": title or self.env._("Customers"),
            "res_model": "res.partner",
            "views": [(False, "list"), (False, "form")],
            "domain": [("optical_audience", "=", key)],
            "context": {"create": False},
        }


AUDIENCES = {
    name: f"_optical_audience_{name}"
    for name in (
        "active",
        "new",
        "lapsed",
        "segment",
        "exam_due",
        "exam_due_month",
        "exam_recall",
        "cl_runout",
        "forecast",
        "customers",
        "retained",
        "cohort",
        "converted",
    )
}
