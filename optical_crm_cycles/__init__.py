from . import models
from . import wizards

# Odoo's SMS and email marketing menus hide the mailings of cycle steps (see
# views/mailing_mailing_views.xml); uninstalling puts their domains back.
MAILING_ACTIONS = {
    "mass_mailing.mailing_mailing_action_mail": "[('mailing_type', '=', 'mail')]",
    "mass_mailing_sms.mailing_mailing_action_sms": "[('mailing_type', '=', 'sms')]",
}


def uninstall_hook(env):
    for xmlid, domain in MAILING_ACTIONS.items():
        action = env.ref(xmlid, raise_if_not_found=False)
        if action:
            action.domain = domain
