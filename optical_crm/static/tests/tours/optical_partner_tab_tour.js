/** @odoo-module **/
import {opticalScreenshot} from "@optical_crm/../tests/tours/optical_screenshot";
import {registry} from "@web/core/registry";

// The contact form's Optical tab: profile, eye care dates and consents for the
// back office; the prescriptions (health data) for optometrists only.
function partnerTabSteps(optometrist) {
    const health =
        ".o_form_view [name=optical_prescription_ids], " +
        ".o_form_view button[name=action_optical_view_prescriptions], " +
        ".o_form_view button[name=action_optical_view_exams]";
    return [
        {
            content: "Open the Optical tab",
            trigger: ".o_notebook .nav-link:contains(Optical)",
            run: "click",
        },
        {
            content: "Profile and eye care dates",
            trigger: ".o_form_view .o_field_widget[name=optical_next_exam_date]",
        },
        {
            content: "Consents, with the button to record one",
            trigger:
                ".o_form_view button[name=action_optical_record_consent]:visible",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=optical_consent_ids] .o_data_row",
        },
        optometrist
            ? {
                  content: "The optometrist sees the prescriptions",
                  trigger:
                      ".o_form_view .o_field_widget[name=optical_prescription_ids] .o_data_row:contains(-2.75)",
              }
            : {
                  content: "No health data for the back office",
                  trigger: `.o_form_view:not(:has(${health}))`,
              },
        opticalScreenshot(
            optometrist ? "partner_optical_tab_optometrist" : "partner_optical_tab_user",
            "body",
            ".o_notebook"
        ),
    ];
}

registry.category("web_tour.tours").add("optical_partner_tab_optometrist_tour", {
    steps: () => partnerTabSteps(true),
});
registry.category("web_tour.tours").add("optical_partner_tab_user_tour", {
    steps: () => partnerTabSteps(false),
});
