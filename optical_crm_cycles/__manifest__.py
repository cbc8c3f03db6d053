{
    "name": "Optical CRM - Automated cycles",
    "summary": "Follow-up messages at set delays after a sale (invoice, receipt, "
    "point of sale, other systems) or an eye exam, sent exactly once by scheduled "
    "actions",
    "version": "18.0.1.1.0",
    "category": "Marketing",
    "website": "https://github.com/optical-crm/optical-crm",
    "author": "Optical CRM",
    "maintainers": ["optical-crm"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "depends": ["optical_crm"],
    "data": [
        "security/ir.model.access.csv",
        "security/optical_crm_cycles_security.xml",
        "data/optical_cycle_category_data.xml",
        "data/ir_cron_data.xml",
        "views/optical_cycle_views.xml",
        "views/optical_cycle_step_views.xml",
        "views/optical_cycle_enrollment_views.xml",
        "views/optical_cycle_execution_views.xml",
        "views/res_partner_views.xml",
        "views/optical_cycle_wizard_views.xml",
        "views/mailing_mailing_views.xml",
        "views/optical_crm_cycles_menus.xml",
        "data/optical_cycle_template_data.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "optical_crm_cycles/static/tests/tours/*.js",
        ],
    },
    "uninstall_hook": "uninstall_hook",
}
