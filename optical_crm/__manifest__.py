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
        "views/optical_crm_menus.xml",
        "views/res_config_settings_views.xml",
    ],
}
