"""No health data in any outbound message, whatever the placeholders try.

Two locks: a mailing (the content of every campaign, cycle step and SMS Marketing
message) refuses placeholders naming prescriptions or eye exams when it is saved;
and while any SMS or email is rendered, prescriptions and exams cannot be read at
all, not even by the superuser the mailing scheduler runs as, nor through values
already loaded in the transaction.
"""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import OpticalCase

SAVE_REFUSED = (
    ("sms", "body_plaintext", "Ricetta: {{ object.optical_prescription_ids }}"),
    ("sms", "body_plaintext", "{{ object.optical_prescription_ids.od_sphere }}"),
    ("sms", "body_plaintext", "Visite: {{ object.optical_exam_count }}"),
    ("sms", "body_plaintext", "{{ object.env['optical.prescription'].search([]) }}"),
    ("sms", "body_plaintext", "{{ user.partner_id.optical_exam_ids.note }}"),
    (
        "sms",
        "body_plaintext",
        "{{ object.optical_exam_ids.mapped('prescription_ids') }}",
    ),
    ("mail", "subject", "SPH {{ object.optical_prescription_ids[0].od_sphere }}"),
    (
        "mail",
        "body_html",
        '<p>Ciao <t t-out="object.optical_prescription_ids.os_cylinder"/></p>',
    ),
    ("mail", "body_html", '<a t-attf-href="/x?e=#{object.optical_exam_ids.ids}">x</a>'),
)
# placeholders that pass the save check (built at render time): the render refuses
RENDER_REFUSED = (
    "{{ object.mapped('optical_pres' + 'cription_ids') }}",
    "{{ object.mapped('optical_pres' + 'cription_ids').mapped('od_' + 'sphere') }}",
    "{{ object.env['optical.' + 'exam'].search([]).mapped('note') }}",
    "{{ object['optical_' + 'exam_ids'] }}",
    # the partner's own health fields, even read as the superuser
    "{{ object.sudo()['optical_last_' + 'exam_date'] }}",
    "{{ object.sudo().read(['optical_last_' + 'prescription_date']) }}",
    "{{ object.sudo().search([('optical_last_' + 'exam_date', '!=', False)]).ids }}",
)

# attempts to switch the guard off from inside the template (caller's context,
# another environment, a nested rendering of the prescription itself)
RENDER_BYPASSES = (
    "{{ object.with_context(optical_no_health=False)"
    ".mapped('optical_pres' + 'cription_ids').mapped('od_' + 'sphere') }}",
    "{{ object.with_context({}).mapped('optical_pres' + 'cription_ids')"
    ".mapped('od_' + 'sphere') }}",
    "{{ object.sudo().with_context(optical_no_health=None)"
    ".mapped('optical_pres' + 'cription_ids').mapped('od_' + 'sphere') }}",
    "{{ object.env(context={})['optical.' + 'prescription'].search([])"
    ".mapped('od_' + 'sphere') }}",
    "{{ object.env(context={}, su=True)['optical.' + 'exam'].search_read([]) }}",
    "{{ object.with_context(optical_no_health=False).env['mail.render.mixin']"
    "._render_template('{{ object.od_' + 'sphere }}', 'optical.' + 'prescription',"
    " object.with_context(optical_no_health=False)"
    ".mapped('optical_pres' + 'cription_ids').ids) }}",
)


@tagged("post_install", "-at_install")
class TestHealthInMessages(OpticalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write({"mobile": "+39 333 555 0101", "lang": "en_US"})
        exam = cls.env["optical.exam"].create(
            {"partner_id": cls.customer.id, "date": "2024-02-01", "note": "Glaucoma"}
        )
        cls.rx = cls.env["optical.prescription"].create(
            {
                "partner_id": cls.customer.id,
                "date": "2024-02-01",
                "exam_id": exam.id,
                "od_sphere": -2.75,
                "os_cylinder": -1.25,
                "os_axis": 90,
            }
        )
        cls.Mailing = cls.env["mailing.mailing"]

    def _mailing(self, kind, **vals):
        values = {
            "subject": "Promo",
            "mailing_type": kind,
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr([("id", "=", self.customer.id)]),
        }
        if kind == "sms":
            values["body_plaintext"] = "Ciao {{ object.optical_first_name }}"
        else:
            values["body_html"] = "<p>Ciao</p>"
        values.update(vals)
        return self.Mailing.create(values)

    def test_mailings_refuse_health_placeholders_when_saved(self):
        for kind, field, text in SAVE_REFUSED:
            with self.assertRaisesRegex(ValidationError, "health data", msg=text):
                self._mailing(kind, **{field: text})
            mailing = self._mailing(kind)
            with self.assertRaisesRegex(ValidationError, "health data", msg=text):
                mailing.write({field: text})
        # plain words and the recall placeholders are fine
        mailing = self._mailing(
            "sms",
            body_plaintext="Ciao {{ object.optical_first_name }}, la visita è "
            "{{ object.optical_next_exam_words }}: porta la tua ricetta!",
        )
        self.assertTrue(mailing)

    def test_campaign_refuses_health_placeholders(self):
        segment = self.env["optical.segment"].create({"name": "Tutti"})
        with self.assertRaises(UserError):
            self.env["optical.campaign"].create(
                {
                    "name": "Ricette",
                    "segment_id": segment.id,
                    "channel": "sms",
                    "sms_body": "{{ object.optical_prescription_ids.od_sphere }}",
                }
            )

    def _assert_render_refused(self, mailing):
        sms = self.env["sms.sms"].sudo()
        before = sms.search_count([])
        with self.assertRaises(UserError):
            if mailing.mailing_type == "sms":
                mailing.action_send_sms()
            else:
                mailing.action_send_mail()
        self.assertEqual(sms.search_count([]), before)

    def test_rendering_cannot_reach_health_data(self):
        # the values are in the transaction's cache: they are forgotten first
        self.assertEqual(self.customer.optical_prescription_ids.od_sphere, -2.75)
        for text in RENDER_REFUSED:
            mailing = self._mailing("sms", body_plaintext=text)
            self._assert_render_refused(mailing)
            # even as the superuser (the mailing scheduler)
            self._assert_render_refused(mailing.sudo())
            # and straight through the renderer
            with self.assertRaises(UserError):
                self.env["mail.render.mixin"]._render_template(
                    text, "res.partner", self.customer.ids
                )
        email = self._mailing(
            "mail",
            body_html="<p t-out=\"object.mapped('optical_pres' + 'cription_ids')\"/>",
        )
        self._assert_render_refused(email)
        # the customer timeline keeps its other rows, without exams and prescriptions
        self.env.flush_all()
        kinds = self.env["mail.render.mixin"]._render_template(
            "{{ object.env['optical.customer.timeline'].search("
            "[('partner_id', '=', object.id)]).mapped('kind') }}",
            "res.partner",
            self.customer.ids,
        )[self.customer.id]
        self.assertNotIn("exam", kinds)
        self.assertNotIn("prescription", kinds)
        self.assertEqual(
            {"exam", "prescription"}
            & set(
                self.env["optical.customer.timeline"]
                .search([("partner_id", "=", self.customer.id)])
                .mapped("kind")
            ),
            {"exam", "prescription"},
            "outside messages, the optometrist's timeline has them",
        )
        # ordinary placeholders still render
        rendered = self.env["mail.render.mixin"]._render_template(
            "Ciao {{ object.optical_first_name }} {{ object.optical_shop_name }}",
            "res.partner",
            self.customer.ids,
        )
        self.assertEqual(
            rendered[self.customer.id], f"Ciao Anna {self.env.company.name}"
        )
        # outside rendering, the optometrist still reads the prescription
        self.assertEqual(self.rx.with_user(self.optometrist).od_sphere, -2.75)

    def test_templates_cannot_switch_the_guard_off(self):
        for text in RENDER_BYPASSES:
            with self.assertRaises(UserError, msg=text):
                self.env["mail.render.mixin"]._render_template(
                    text, "res.partner", self.customer.ids
                )
            # nor when the caller passes the context key of the former guard
            with self.assertRaises(UserError, msg=text):
                self.env["mail.render.mixin"].with_context(
                    optical_no_health=False
                )._render_template(text, "res.partner", self.customer.ids)
            self._assert_render_refused(self._mailing("sms", body_plaintext=text))
        # the lock ends with the rendering: the optometrist reads the prescription
        self.assertEqual(self.rx.with_user(self.optometrist).od_sphere, -2.75)
        # and the prescription's own document still renders
        rendered = self.env["mail.render.mixin"]._render_template(
            "{{ object.od_sphere }}", "optical.prescription", self.rx.ids
        )
        self.assertEqual(rendered[self.rx.id], "-2.75")

    def test_sms_composer_cannot_send_health_data(self):
        """The SMS composer of the contacts list, used by an optometrist."""
        partners = self.customer.with_user(self.optometrist)
        composer = Form(
            self.env["sms.composer"]
            .with_user(self.optometrist)
            .with_context(
                default_res_model="res.partner",
                default_res_ids=partners.ids,
                default_composition_mode="mass",
                default_mass_keep_log=False,
            )
        )
        composer.body = (
            "Ricetta: {{ object.mapped('optical_pres' + 'cription_ids').od_sphere }}"
        )
        wizard = composer.save()
        self.assertEqual(wizard._get_records(), self.customer)
        before = self.env["sms.sms"].sudo().search_count([])
        with self.assertRaises(UserError):
            wizard.action_send_sms()
        self.assertEqual(self.env["sms.sms"].sudo().search_count([]), before)
