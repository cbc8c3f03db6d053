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
    ],
});
