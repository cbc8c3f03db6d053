/** @odoo-module **/
import {opticalScreenshot} from "@optical_crm/../tests/tours/optical_screenshot";
import {registry} from "@web/core/registry";

// The cycle editor: create a cycle from a ready-made template (they are among the
// archived cycles), enable it, edit a step and see the timeline.
registry.category("web_tour.tours").add("optical_cycle_tour", {
    steps: () => [
        {
            content: "Show the archived cycles: the ready-made templates",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains(Archived)",
            run: "click",
        },
        {
            content: "Open the 'Occhiale correttivo' template",
            trigger: ".o_kanban_record:contains(Occhiale correttivo)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Occhiale correttivo)",
        },
        {
            content: "Duplicate it",
            trigger: ".o_cp_action_menus button",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains(Duplicate)",
            run: "click",
        },
        {
            content: "Name the shop's own cycle",
            trigger:
                ".o_form_view .o_field_widget[name=name] input:value(Occhiale correttivo (copy))",
            run: "edit Occhiali da vista - Via Roma",
        },
        {
            content: "The steps came along",
            trigger: ".o_notebook .nav-link:contains(Steps)",
            run: "click",
        },
        {
            content: "Edit the first step",
            trigger:
                ".o_field_widget[name=step_ids] .o_data_row:contains(Verifica soddisfazione) td[name=name]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=delay_count] input",
            run: "edit 10",
        },
        {
            trigger: ".modal .o_field_widget[name=delay_unit] select",
            run: 'select "days"',
        },
        {
            trigger: ".modal .o_field_widget[name=sms_body] textarea",
            run:
                "edit Buongiorno {{ object.partner_id.name }}, come vanno i nuovi " +
                "occhiali? Passi per una regolazione gratuita. {{ object.company_id.name }}",
        },
        opticalScreenshot("cycle_step_editor", ".modal .o_field_widget[name=sms_body]"),
        {
            content: "Keep the step",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Save the cycle",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "Enable it",
            trigger: ".o_cp_action_menus button",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item:contains(Unarchive)",
            run: "click",
        },
        {
            trigger: ".o_form_view:not(:has(.ribbon))",
        },
        {
            content: "The timeline shows the edited step first",
            trigger: ".o_notebook .nav-link:contains(Timeline)",
            run: "click",
        },
        {
            trigger:
                ".o_optical_cycle_timeline > div:first-child:contains(+10 days after the trigger):contains(come vanno i nuovi occhiali)",
        },
        {
            trigger: ".o_optical_cycle_timeline:contains(+1 month):contains(+1 year)",
        },
        opticalScreenshot("cycle_timeline", ".o_optical_cycle_timeline"),
    ],
});
