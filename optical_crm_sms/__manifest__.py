{
    "name": "Optical CRM - SMS providers",
    "summary": "Italian SMS providers and Twilio beside Odoo IAP, delivery reports, "
    "segment counter and SMS with landing page",
    "version": "18.0.1.0.0",
    "category": "Marketing",
    "website": "https://github.com/optical-crm/optical-crm",
    "author": "Optical CRM",
    "maintainers": ["optical-crm"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "depends": ["optical_crm", "sms", "mass_mailing_sms"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/optical_crm_sms_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/optical_sms_provider_views.xml",
        "views/optical_landing_page_views.xml",
        "views/optical_campaign_views.xml",
        "views/mailing_mailing_views.xml",
        "views/sms_sms_views.xml",
        "views/landing_templates.xml",
        "views/optical_crm_sms_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "optical_crm_sms/static/src/sms_widget/*",
        ],
        "web.assets_tests": [
            "optical_crm_sms/static/tests/tours/*",
        ],
    },
}
