/** @odoo-module **/

// A tour step that asks the test runner for a screenshot of the page (saved when
// the tests run with OPTICAL_SCREENSHOTS=<folder>, see tests/tools/screenshots.sh).
// Without it, the step costs nothing.
// ``scrollTo``: a selector brought to the top of its scrolling area first.
export function opticalScreenshot(name, trigger = "body", scrollTo = null) {
    return {
        content: `Screenshot: ${name}`,
        trigger,
        run: async () => {
            if (!document.cookie.includes("optical_screenshots=1")) {
                return;
            }
            if (scrollTo) {
                document.querySelector(scrollTo)?.scrollIntoView({block: "start"});
            }
            // let the last renderings settle, then wait for the capture
            await new Promise((resolve) => setTimeout(resolve, 400));
            console.log(`optical-screenshot:${name}`);
            await new Promise((resolve) => setTimeout(resolve, 1200));
        },
    };
}
