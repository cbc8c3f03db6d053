from contextlib import contextmanager

from odoo.tests import TransactionCase, new_test_user


def has_consent_api(env):
    """The consent ledger API (written in parallel) is installed."""
    return hasattr(type(env["res.partner"]), "_optical_record_consent")


class RaisesMixin:
    """assertRaisesRegex rolled back like Odoo's assertRaises (a savepoint).

    In production a refused save rolls the whole transaction back; in a test the
    savepoint does the same, so "nothing written" can be asserted afterwards.
    """

    @contextmanager
    def assertRaisesRegex(self, exception, regex, msg=None):
        with self.assertRaises(exception, msg=msg) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)


class OpticalCase(RaisesMixin, TransactionCase):
    """Users of every optical group, and customers shared by the shops."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.user = new_test_user(
            cls.env, "tp_user", groups="optical_crm.group_optical_user"
        )
        cls.optometrist = new_test_user(
            cls.env, "tp_optom", groups="optical_crm.group_optical_optometrist"
        )
        cls.manager = new_test_user(
            cls.env, "tp_manager", groups="optical_crm.group_optical_manager"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Anna Bianchi", "ref": "T-0001", "email": "anna@example.com"}
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Luca Verdi"})

    def rx_vals(self, **vals):
        return {"partner_id": self.customer.id, "date": "2024-03-01", **vals}
