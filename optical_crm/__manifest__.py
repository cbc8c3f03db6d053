{
    "name": "Optical CRM",
    "summary": "Relationship CRM for optical shops: optical profile, consent, "
    "touchpoints, campaigns and customer value",
    "version": "18.0.1.0.0",
    "category": "Marketing",
    "website": "https://github.com/optical-crm/optical-crm",
    "author": "Optical CRM",
    "maintainers": ["optical-crm"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "application": True,
    "installable": True,
    "depends": [
        "account",
        "contacts",
        "mass_mailing_sms",
        "phone_validation",
        "resource",
    ],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/optical_crm_security.xml",
        "security/ir.model.access.csv",
        "security/optical_crm_policy_rules.xml",
        "security/optical_crm_value_rules.xml",
        "data/optical_value_cron.xml",
        "views/optical_crm_menus.xml",
        "views/res_config_settings_views.xml",
        "views/optical_customer_value_views.xml",
        "views/optical_customer_timeline_views.xml",
        "views/optical_value_dashboard_views.xml",
        "views/res_partner_value_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "optical_crm/static/src/value_dashboard/*",
        ],
        "web.assets_tests": [
            "optical_crm/static/tests/tours/*",
        ],
    },
}
