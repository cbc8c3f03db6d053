"""The throttle of the public routes counts clients, not addresses: an IPv4
address, or the /64 network of an IPv6 one; behind a reverse proxy (Odoo's
``proxy_mode``) the address is the one the proxy saw."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.tests import BaseCase, HttpCase, tagged
from odoo.tools import config, mute_logger

from odoo.addons.optical_crm.controllers.throttle import client_key
from odoo.addons.optical_crm.models.optical_public_throttle import MAX_FAILURES

from .public_routes_common import PublicRouteMixin

API = "/optical_crm/api/touchpoints"


@tagged("post_install", "-at_install")
class TestClientKey(BaseCase):
    def test_ipv4_by_address_ipv6_by_64_network(self):
        self.assertEqual(client_key("192.0.2.7"), "192.0.2.7")
        self.assertNotEqual(client_key("192.0.2.7"), client_key("192.0.2.8"))
        self.assertEqual(client_key("::ffff:192.0.2.7"), "192.0.2.7")
        self.assertEqual(
            client_key("2001:db8:1:2:aaaa:bbbb:cccc:1"), "2001:db8:1:2::/64"
        )
        self.assertEqual(
            client_key("2001:db8:1:2::9"), client_key("2001:db8:1:2:ff::1")
        )
        self.assertNotEqual(
            client_key("2001:db8:1:2::9"), client_key("2001:db8:1:3::9")
        )
        self.assertEqual(client_key(None), "unknown")
        self.assertEqual(client_key("not an address"), "not an address")


@tagged("post_install", "-at_install")
class TestThrottleClients(PublicRouteMixin, HttpCase):
    def setUp(self):
        super().setUp()
        self._clear_throttle()

    def _api(self, forwarded_for, key="wrong-key"):
        host = f"127.0.0.1:{config['http_port']}"
        return self.url_open(
            API,
            data="{}",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
                "X-Forwarded-For": forwarded_for,
                "X-Forwarded-Host": host,
            },
        )

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_ipv6_addresses_of_one_64_network_are_one_client(self):
        with patch.dict(config.options, {"proxy_mode": True}):
            for attempt in range(MAX_FAILURES):
                # an attacker rotating addresses inside its /64
                response = self._api(f"2001:db8:1:2::{attempt + 1:x}")
                self.assertEqual(response.status_code, 401)
            self.assertEqual(self._api("2001:db8:1:2:ffff::1").status_code, 429)
            # the neighbour network and IPv4 clients are other clients
            self.assertEqual(self._api("2001:db8:1:3::1").status_code, 401)
            self.assertEqual(self._api("192.0.2.1").status_code, 401)
        clients = self.env["optical.public.throttle"].sudo().search([]).mapped("client")
        self.assertIn("2001:db8:1:2::/64", clients)
        self.assertIn("192.0.2.1", clients)
        self.assertNotIn("127.0.0.1", clients)

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_forwarded_for_is_ignored_without_proxy_mode(self):
        with patch.dict(config.options, {"proxy_mode": False}):
            for attempt in range(MAX_FAILURES):
                self.assertEqual(self._api(f"192.0.2.{attempt + 1}").status_code, 401)
            # a forged header does not give a new address: still the same client
            self.assertEqual(self._api("198.51.100.1").status_code, 429)
        self.assertEqual(
            self.env["optical.public.throttle"].sudo().search([]).mapped("client"),
            ["127.0.0.1"],
        )

    @mute_logger("odoo.addons.optical_crm.models.optical_public_throttle")
    def test_throttled_network_still_gets_valid_answers(self):
        user = self.env["res.users"].create(
            {
                "name": "API shop",
                "login": "thr_api",
                "groups_id": [
                    (6, 0, [self.env.ref("optical_crm.group_optical_user").id])
                ],
            }
        )
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "thr", datetime.now() + timedelta(days=1))
        )
        with patch.dict(config.options, {"proxy_mode": True}):
            for attempt in range(MAX_FAILURES + 1):
                self._api(f"2001:db8:9:9::{attempt + 1:x}")
            self.assertEqual(self._api("2001:db8:9:9::abc").status_code, 429)
            # a customer (here the shop's own system) of the same network
            response = self._api("2001:db8:9:9::def", key=key)
        self.assertEqual(response.status_code, 400)  # empty body: not a refusal
        self.assertIn("touchpoints", response.json()["error"])
