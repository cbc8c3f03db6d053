{
    "name": "Optical CRM - Point of sale",
    "summary": "Paid point-of-sale orders count in the sales ledger like invoices: "
    "optical profile, customer value and cycles",
    "version": "18.0.1.0.0",
    "category": "Marketing",
    "website": "https://github.com/optical-crm/optical-crm",
    "author": "Optical CRM",
    "maintainers": ["optical-crm"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "installable": True,
    "auto_install": True,
    "depends": ["point_of_sale", "optical_crm"],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
}
