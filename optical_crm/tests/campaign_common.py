import datetime as dt

from odoo.tests import new_test_user

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.mass_mailing_sms.tests.common import MassSMSCase

# Tuesday 10 March 2026, 11:00 in Rome: inside the default send window
TUESDAY_11 = dt.datetime(2026, 3, 10, 10, 0)


class CampaignCase(MassSMSCase, MockEmail, CronMixinCase):
    """A shop with customers, consents and a segment; Odoo's SMS and mail mocks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.company = cls.env.company
        cls.company.write(
            {
                "name": "Ottica Bellavista",
                "country_id": cls.env.ref("base.it").id,
                "optical_cap_count": 2,
                "optical_cap_days": 30,
                "optical_hourly_limit": 0,
            }
        )
        cls.user = new_test_user(
            cls.env,
            "camp_marketer",
            groups="optical_crm.group_optical_user",
            name="Marta Marketing",
        )
        Partner = cls.env["res.partner"]
        cls.birth = dt.date(2012, 5, 4)  # 13 years old in 2026

        def person(name, mobile=None, email=None, **kw):
            return Partner.create(
                dict(
                    name=name,
                    mobile=mobile,
                    email=email,
                    lang="it_IT",
                    optical_birthdate=cls.birth,
                    **kw,
                )
            )

        cls.anna = person("Anna Rossi", "+39 333 100 0001", "anna@example.it")
        cls.bruno = person("Bruno Bianchi", "+39 333 100 0002", "bruno@example.it")
        cls.carla = person("Carla Verdi", "+39 333 100 0003", "carla@example.it")
        cls.dario = person("Dario Neri", "+39 333 100 0004", "dario@example.it")
        cls.elena = person("Elena Gialli", "+39 333 100 0005", "elena@example.it")
        cls.no_consent = person("Franco Blu", "+39 333 100 0006", "franco@example.it")
        cls.landline = person(
            "Gina Rosa", None, "gina@example.it", phone="+39 06 1234 5678"
        )
        cls.twin = person("Anna Rossi bis", "+393331000001", "anna2@example.it")
        cls.adult = person("Ugo Grandi", "+39 333 100 0009", "ugo@example.it")
        cls.adult.optical_birthdate = dt.date(1970, 1, 1)
        cls.consenting = (
            cls.anna
            | cls.bruno
            | cls.carla
            | cls.dario
            | cls.elena
            | cls.landline
            | cls.twin
            | cls.adult
        )
        for channel in ("sms", "email", "phone"):
            cls.consenting._optical_record_consent(
                channel, "marketing", True, "store", company=cls.company
            )
        cls.customers = cls.consenting | cls.no_consent
        # in the segment: anna, bruno, carla, dario, elena, no_consent, landline, twin
        # (whatever else the database holds stays out of it)
        cls.segment = cls.env["optical.segment"].create(
            {
                "name": "Ragazzi",
                "age_min": 6,
                "age_max": 18,
                "domain": repr([("id", "in", cls.customers.ids)]),
            }
        )
        cls.kids = cls.customers - cls.adult

    def new_campaign(self, **values):
        vals = {
            "name": "Back to school",
            "segment_id": self.segment.id,
            "channel": "sms",
            "date_start": dt.date(2026, 3, 1),
            "date_end": dt.date(2026, 3, 31),
            "sms_body": "Ciao {{ object.optical_first_name }}, "
            "ti aspettiamo da {{ object.optical_shop_name }}!",
        }
        vals.update(values)
        return self.env["optical.campaign"].create(vals)

    def send_due(self, **kw):
        """Run the campaigns' scheduled action (the cron's method, in the test's
        transaction)."""
        self.env["optical.campaign"]._cron_send(**kw)

    def recipients(self, campaign, state=None):
        recipients = campaign.recipient_ids
        if state:
            recipients = recipients.filtered(lambda r: r.state == state)
        return recipients

    def states(self, campaign):
        return {r.partner_id: (r.state, r.reason) for r in campaign.recipient_ids}
