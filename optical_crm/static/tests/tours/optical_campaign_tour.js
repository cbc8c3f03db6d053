/** @odoo-module **/
import {opticalScreenshot} from "@optical_crm/../tests/tours/optical_screenshot";
import {registry} from "@web/core/registry";

// Create a campaign from a ready-made template, preview it, send a test SMS to a
// number of the user's choice, schedule it.
registry.category("web_tour.tours").add("optical_campaign_tour", {
    url: "/odoo/action-optical_crm.optical_campaign_template_action",
    steps: () => [
        {
            content: "Open the 'Back to school' template",
            trigger: ".o_data_row td[name=name]:contains('Back to school')",
            run: "click",
        },
        {
            content: "Use it",
            trigger: ".o_form_view button[name=action_use_template]",
            run: "click",
        },
        {
            content: "A draft campaign of the shop, with the template's message",
            trigger:
                ".o_form_view:not(:has(.ribbon)) .o_statusbar_status .o_arrow_button_current:contains(Draft)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=sms_body] textarea:value(/si torna a scuola/)",
        },
        {
            content: "Preview",
            trigger: ".o_form_view button[name=action_preview]",
            run: "click",
        },
        {
            content: "Audience and exclusions",
            trigger: ".modal .o_field_widget[name=eligible_count]:contains(2)",
        },
        {
            trigger: ".modal .o_field_widget[name=excluded_no_consent]:contains(1)",
        },
        {
            content: "Three rendered samples",
            trigger: ".modal .o_field_widget[name=sample_ids] .o_data_row td[name=body]:contains('Ciao Giulia')",
        },
        {
            content: "SMS parts",
            trigger: ".modal .o_field_widget[name=sms_segments]:contains(2)",
        },
        opticalScreenshot("campaign_preview", "body", ".modal-body > :first-child"),
        {
            content: "A number for the test",
            trigger: ".modal .o_field_widget[name=test_recipient] input",
            run: "edit +39 340 555 0101",
        },
        {
            content: "Send the test",
            trigger: ".modal button[name=action_test_send]",
            run: "click",
        },
        {
            content: "The test went out",
            trigger: ".modal .o_optical_test_result:contains('Test sent to +393405550101')",
        },
        {
            content: "Schedule",
            trigger: ".modal footer button[name=action_schedule]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Scheduled",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Scheduled)",
        },
        opticalScreenshot("campaign_scheduled"),
    ],
});
