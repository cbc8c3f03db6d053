/** @odoo-module **/

import { useEffect, useState } from "@odoo/owl";
import { SmsWidget } from "@sms/components/sms_widget/fields_sms_widget";
import { patch } from "@web/core/utils/patch";
import { useDebounced } from "@web/core/utils/timing";
import { useService } from "@web/core/utils/hooks";

/**
 * Every SMS body editor (widget="sms_widget": composer, SMS marketing, campaigns,
 * cycle steps) counts the message the way it will be sent: GSM-7 or UCS-2,
 * extension characters counting double, segments of 160/153 or 70/67 (the
 * server's sms_length does the counting), shows the cost from the company's
 * provider price and names the characters that turn the message into UCS-2,
 * with their GSM-7 replacement.
 */
patch(SmsWidget.prototype, {
    setup() {
        super.setup(...arguments);
        this.opticalOrm = useService("orm");
        this.optical = useState({ info: null });
        this.opticalDraft = null;
        this.opticalRefresh = useDebounced(() => this.opticalFetch(), 200);
        // live while typing: the record only gets the text when the field is left
        useEffect(
            (el) => {
                if (!el) {
                    return;
                }
                const onInput = () => {
                    this.opticalDraft = el.value;
                    this.opticalRefresh();
                };
                el.addEventListener("input", onInput);
                return () => el.removeEventListener("input", onInput);
            },
            () => [this.textareaRef && this.textareaRef.el]
        );
        useEffect(
            () => {
                this.opticalDraft = null;
                this.opticalRefresh();
            },
            () => {
                const options = this.opticalOptions();
                return [
                    this.props.record.data[this.props.name] || "",
                    options.unsubscribe,
                    options.landing,
                ];
            }
        );
    },

    opticalText() {
        if (this.opticalDraft !== null) {
            return this.opticalDraft;
        }
        return this.props.record.data[this.props.name] || "";
    },

    opticalOptions() {
        const data = this.props.record.data;
        // a mailing's own flag, a campaign's opt-out box, a cycle step's purpose
        let unsubscribe = data.sms_allow_unsubscribe;
        if (unsubscribe === undefined) {
            unsubscribe = data.sms_optout_link;
        }
        if (unsubscribe === undefined) {
            unsubscribe = data.purpose === "marketing";
        }
        return {
            unsubscribe: Boolean(unsubscribe),
            landing: Boolean(data.optical_landing_page_id || data.landing_page_id),
        };
    },

    async opticalFetch() {
        const record = this.props.record;
        let info = null;
        try {
            info = await this.opticalOrm.silent.call(
                "optical.sms.provider",
                "optical_sms_preview",
                [this.opticalText()],
                {
                    res_model: record.resModel,
                    res_id: record.resId || false,
                    options: this.opticalOptions(),
                }
            );
        } catch {
            // the counter falls back to Odoo's own count
        }
        if (this.optical) {
            this.optical.info = info;
        }
    },

    get opticalHasReplacements() {
        const info = this.optical.info;
        return Boolean(info && info.offending.some((item) => item.replacement));
    },

    async opticalReplace() {
        let text = this.opticalText();
        for (const item of this.optical.info.offending) {
            if (item.replacement) {
                text = text.replaceAll(item.char, item.replacement);
            }
        }
        await this.props.record.update({ [this.props.name]: text });
    },

    get encoding() {
        const base = super.encoding;
        const info = this.optical && this.optical.info;
        if (!info) {
            return base;
        }
        return info.encoding === "gsm7" ? "GSM7" : "UNICODE";
    },

    get nbrChar() {
        const base = super.nbrChar;
        const info = this.optical && this.optical.info;
        return info ? info.units : base;
    },

    get nbrSMS() {
        const info = this.optical && this.optical.info;
        return info ? info.segments : super.nbrSMS;
    },
});
