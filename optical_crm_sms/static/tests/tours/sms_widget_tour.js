/** @odoo-module **/

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("optical_sms_widget_tour", {
    steps: () => [
        {
            content: "Type a body with characters outside GSM-7",
            trigger: "div[name='body_plaintext'] textarea",
            run: "edit È l’ora dei saldi",
        },
        {
            content: "The widget names the characters and their GSM-7 replacement",
            trigger: ".o_optical_sms_hint:contains('È'):contains(\"E'\")",
        },
        {
            content: "The count is Unicode, the cost is shown",
            trigger: ".o_sms_count:contains('UNICODE')",
        },
        {
            trigger: ".o_optical_sms_cost",
        },
        {
            content: "Use the GSM-7 characters",
            trigger: ".o_optical_sms_fix",
            run: "click",
        },
        {
            content: "The message is GSM-7 again, the hint is gone",
            trigger: ".o_sms_count:contains('GSM7')",
        },
        {
            trigger: "div[name='body_plaintext']:not(:has(.o_optical_sms_hint))",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});
