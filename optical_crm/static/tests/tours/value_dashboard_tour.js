/** @odoo-module **/
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("optical_value_dashboard_tour", {
    url: "/odoo/action-optical_crm.optical_value_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows the shop's active customers",
            trigger: ".o_optical_value_dashboard .o_optical_card[data-figure='active'] .o_optical_card_value:contains(1)",
        },
        {
            content: "The cohort table is there",
            trigger: ".o_optical_value_dashboard table.o_optical_cohorts",
        },
        {
            content: "Open the customers behind the figure",
            trigger: ".o_optical_value_dashboard .o_optical_card[data-figure='active']",
            run: "click",
        },
        {
            content: "The list of those customers opens",
            trigger: ".o_list_view .o_data_row .o_data_cell:contains(Tour Customer)",
        },
        {
            content: "Titled after the figure",
            trigger: ".o_breadcrumb .active:contains(Active customers)",
        },
        {
            content: "Select the customers of the list",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the actions of the selection",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Any list can start a campaign",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Start a campaign)",
            run: "click",
        },
        {
            content: "A new campaign on a segment of those customers",
            trigger: ".o_form_view .o_field_widget[name='segment_id'] input:value(/Customer list of/)",
        },
    ],
});
