/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/**
 * Shop dashboard of Optical CRM: customer figures of the current shop. Every figure
 * is computed by the server (optical.value.dashboard) and opens the customers
 * behind it.
 */
export class OpticalValueDashboard extends Component {
    static template = "optical_crm.ValueDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call(
            "optical.value.dashboard",
            "optical_dashboard_data",
            []
        );
    }

    async open(key, title) {
        if (!key) {
            return;
        }
        const action = await this.orm.call("optical.value.dashboard", "optical_dashboard_open", [
            key,
            title,
        ]);
        await this.actionService.doAction(action);
    }
}

registry.category("actions").add("optical_crm.value_dashboard", OpticalValueDashboard);
