{
    "name": "Optical CRM - Automated cycles",
    "summary": "Follow-up messages at set delays after a validated invoice or an eye "
    "exam, sent exactly once by scheduled actions",
    "version": "18.0.1.0.0",
    "category": "Marketing",
    "website": "https://github.com/optical-crm/optical-crm",
    "author": "Optical CRM",
    "maintainers": ["optical-crm"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "depends": ["optical_crm"],
    "data": [
        "views/optical_crm_cycles_menus.xml",
    ],
}
