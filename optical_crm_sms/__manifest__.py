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
    "depends": ["optical_crm", "sms"],
    "data": [],
}
