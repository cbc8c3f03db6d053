"""Fake SMS providers: real HTTP servers on 127.0.0.1 speaking each provider's API.

Importable by any test or benchmark
(``odoo.addons.optical_crm_sms.tests.fake_providers``) and runnable as a script in
its own process (``python3 fake_providers.py skebby`` prints ``READY <url>`` and
serves until killed), it has no Odoo import.

* ``FakeSkebby``: the Skebby / Esendex REST API: ``GET login`` or ``GET token``
  (basic authentication) answering ``user_key;key``, ``POST sms`` (headers
  ``user_key`` + ``Session_key`` or ``Access_token``, JSON with ``message_type``,
  ``message``, ``recipient``, ``sender``, ``order_id``) and ``GET sms/<order_id>``.
* ``FakeTwilio``: the Messages API (``POST /2010-04-01/Accounts/<sid>/Messages.json``,
  basic authentication, ``StatusCallback``; ``GET`` one message or a filtered list).
* ``FakeIap``: Odoo's IAP SMS endpoint ``/api/sms/3/send`` (JSON-RPC), the stock
  reference of the benchmark and the route of shops without a provider of their own
  (in tests, with ``iap_jsonrpc_loopback``).

Scripted faults (``fake.script("500", "429", ...)``, consumed one per send request):
``500``, ``503`` (with Retry-After), ``429`` (with Retry-After), ``expire`` (Skebby:
session expired, 401), ``slow`` (answers
after ``slow_seconds`` and drops the message), ``reset`` (connection reset, message
dropped), ``malformed`` (message kept, unreadable answer), ``accept_timeout``
(message kept, answer after ``slow_seconds``). Per number rules
(``fake.numbers[number] = "invalid" | "landline" | "blocked" | "credit"``) refuse a
recipient. Delivery reports (``fake.report(...)``) can be sent twice, out of order
or forged. Outages by the clock: ``fake.outage(seconds)`` answers 503 (no
Retry-After) to every request for that long; ``fake.refuse(seconds)`` closes the
listening socket (connection refused) and opens it again on the same port.

Counters: ``send_requests`` (send calls received), ``accepted`` (keys of accepted
messages, in order: a key twice is a duplicate), ``messages`` (key -> message),
``lookups``; ``stats()`` gives them as a dict (also at ``GET /_fake/stats``).
"""

import base64
import contextlib
import email.utils
import hashlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
import urllib.request
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _Headers(dict):
    """Request headers, names case-insensitive."""

    def get(self, key, default=None):
        return super().get(key.lower(), default)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake = None  # set per server

    def log_message(self, *args):  # silence the access log
        return

    def parse_request(self):
        """A lean HTTP/1.1 request parser (the standard one parses headers with
        the email package: too slow for a benchmark fake on a small machine)."""
        self.command, self.request_version = None, "HTTP/0.9"
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) != 3:
            self.send_error(400, "Bad request")
            return False
        self.command, self.path, self.request_version = words
        headers = _Headers()
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            key, _sep, value = line.decode("iso-8859-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        self.headers = headers
        connection = headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        return True

    def setup(self):
        result = super().setup()
        # answer at once (no Nagle delay between the headers and the body)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return result

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method):
        split = urlsplit(self.path)
        if split.path == "/_fake/stats":
            return self.reply(200, self.fake.stats())
        if self.fake.down():
            self._body()
            return self.reply(503, {"error": "service unavailable"})
        if split.path == "/_fake/reset" and method == "POST":
            self._body()
            self.fake.reset()
            return self.reply(200, {"ok": True})
        return self.fake.handle(self, method, split.path, parse_qs(split.query))

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def reply(self, status, payload, content_type="application/json", headers=None):
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode("utf-8")
        else:
            data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, str(value))
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client gave up (timeout)

    def reset_connection(self):
        """Close the socket with a TCP reset and no answer."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
        self.close_connection = True
        self.connection.close()

    def basic_auth(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return None, None
        try:
            user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None, None
        return user, password


class FakeProvider:
    """Base of the fakes: server life cycle, faults and counters."""

    kind = None
    slow_seconds = 1.0

    def __init__(self, host="127.0.0.1", port=0):
        self.lock = threading.Lock()
        self.host, self.port = host, port
        self.server = None
        self.thread = None
        self.reset()

    # life cycle -----------------------------------------------------------
    def start(self):
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"fake": self})
        self.server = _Server((self.host, self.port), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, name=f"fake-{self.kind}", daemon=True
        )
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # outages ----------------------------------------------------------------
    def outage(self, seconds):
        """Answer 503 to every request for ``seconds`` from now."""
        with self.lock:
            self.down_until = time.monotonic() + seconds

    def down(self):
        with self.lock:
            if time.monotonic() < self.down_until:
                self.outage_requests += 1
                return True
            return False

    def refuse(self, seconds):
        """Stop listening (connection refused) for ``seconds``, then serve again on
        the same port; returns the thread that reopens it."""
        self.stop()

        def reopen():
            time.sleep(seconds)
            self.start()

        thread = threading.Thread(target=reopen, name=f"fake-{self.kind}-reopen")
        thread.daemon = True
        thread.start()
        return thread

    # scripting and counters ------------------------------------------------
    def reset(self):
        with self.lock:
            self.faults = []
            self.numbers = {}
            self.send_requests = 0
            self.lookups = 0
            self.accepted = []
            self.messages = {}
            self.down_until = 0.0
            self.outage_requests = 0
        return self

    def script(self, *faults):
        """Faults for the next send requests, in order (``None`` for a normal one)."""
        with self.lock:
            self.faults.extend(faults)

    def _next_fault(self):
        with self.lock:
            self.send_requests += 1
            return self.faults.pop(0) if self.faults else None

    def _accept(self, key, message):
        with self.lock:
            self.accepted.append(key)
            self.messages[key] = message

    def duplicates(self):
        with self.lock:
            return len(self.accepted) - len(set(self.accepted))

    def stats(self):
        with self.lock:
            return {
                "kind": self.kind,
                "send_requests": self.send_requests,
                "accepted": len(self.accepted),
                "unique": len(set(self.accepted)),
                "duplicates": len(self.accepted) - len(set(self.accepted)),
                "lookups": self.lookups,
                "outage_requests": self.outage_requests,
            }

    def _common_fault(self, request, fault, accept):
        """Apply a transport fault; return True when the request is answered.

        ``accept`` stores the message (called for faults where the provider got it).
        """
        if fault in ("500", "503", "429"):
            headers = {"Retry-After": 2} if fault in ("503", "429") else {}
            request.reply(int(fault), {"error": f"scripted {fault}"}, headers=headers)
            return True
        if fault == "slow":
            time.sleep(self.slow_seconds)
            request.reply(503, {"error": "too late"})
            return True
        if fault == "reset":
            request.reset_connection()
            return True
        if fault == "malformed":
            accept()
            request.reply(
                200, b"{result: OK, order_id", content_type="application/json"
            )
            return True
        if fault == "accept_timeout":
            accept()
            time.sleep(self.slow_seconds)
            request.reply(201, {"result": "OK"})
            return True
        return False

    def handle(self, request, method, path, query):
        raise NotImplementedError


def _day(rfc2822):
    """``YYYY-MM-DD`` of an RFC 2822 date."""
    return time.strftime("%Y-%m-%d", email.utils.parsedate(rfc2822))


def _post_form(url, params, headers=None):
    """POST a form to ``url``; return the HTTP status (delivery reports)."""
    data = urlencode(params).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class FakeSkebby(FakeProvider):
    kind = "skebby"
    prefix = "/API/v1.0/REST/"
    username = "optician"
    password = "s3cret-pass"
    user_key = "USR1234"

    def reset(self):
        super().reset()
        with self.lock:
            self.session_keys = set()
            self.logins = 0
        return self

    def expire_sessions(self):
        with self.lock:
            self.session_keys.clear()

    def _authorized(self, request):
        key = request.headers.get("Session_key") or request.headers.get("Access_token")
        with self.lock:
            return (
                request.headers.get("user_key") == self.user_key
                and key in self.session_keys
            )

    def handle(self, request, method, path, query):
        if not path.startswith(self.prefix):
            return request.reply(404, "Not found", content_type="text/plain")
        route = path[len(self.prefix) :].strip("/")
        if method == "GET" and route in ("login", "token"):
            user, password = request.basic_auth()
            if user is None:
                user = (query.get("username") or [""])[0]
                password = (query.get("password") or [""])[0]
            if (user, password) != (self.username, self.password):
                return request.reply(401, "Unauthorized", content_type="text/plain")
            key = uuid.uuid4().hex
            with self.lock:
                self.session_keys.add(key)
                self.logins += 1
            return request.reply(
                200, f"{self.user_key};{key}", content_type="text/plain"
            )
        if method == "POST" and route == "sms":
            return self._send(request)
        if method == "GET" and route.startswith("sms/"):
            return self._status(request, unquote(route[4:]))
        return request.reply(404, "Not found", content_type="text/plain")

    def _send(self, request):
        body = request._body()
        if not self._authorized(request):
            return request.reply(401, "Unauthorized", content_type="text/plain")
        fault = self._next_fault()
        if fault == "expire":  # the session expired: 401, log in again
            self.expire_sessions()
            return request.reply(401, "Session expired", content_type="text/plain")
        try:
            payload = json.loads(body)
            message, recipients = payload["message"], payload["recipient"]
            order_id = payload.get("order_id") or uuid.uuid4().hex
            assert payload.get("message_type")
            assert isinstance(recipients, list) and recipients
            assert len(order_id) <= 32
        except (ValueError, KeyError, TypeError, AssertionError):
            return request.reply(400, "Bad request", content_type="text/plain")
        number = recipients[0]

        def accept():
            self._accept(
                order_id,
                {
                    "order_id": order_id,
                    "recipient": number,
                    "message": message,
                    "sender": payload.get("sender"),
                    "message_type": payload.get("message_type"),
                    "status": "WAIT4DLVR",
                    "delivery_date": "",
                },
            )

        if self._common_fault(request, fault, accept):
            return None
        rule = self.numbers.get(number)
        errors = {
            "invalid": "Invalid recipient: INVALID_RECIPIENT",
            "landline": "Recipient is a LANDLINE number",
            "blocked": "Recipient is BLACKLISTED",
            "credit": "NOT_ENOUGH_CREDIT",
        }
        if rule in errors:
            return request.reply(400, errors[rule], content_type="text/plain")
        accept()
        return request.reply(
            201,
            {
                "result": "OK",
                "order_id": order_id,
                "total_sent": len(recipients),
                "internal_order_id": uuid.uuid4().hex[:12],
            },
        )

    def _status(self, request, order_id):
        if not self._authorized(request):
            return request.reply(401, "Unauthorized", content_type="text/plain")
        with self.lock:
            self.lookups += 1
            message = self.messages.get(order_id)
        if not message:
            return request.reply(404, "Order not found", content_type="text/plain")
        return request.reply(
            200,
            {
                "recipient_number": 1,
                "result": "OK",
                "recipients": [
                    {
                        "status": message["status"],
                        "destination": message["recipient"],
                        "delivery_date": message["delivery_date"],
                    }
                ],
            },
        )

    def set_status(self, order_id, status):
        """Change what ``GET sms/<order_id>`` answers (the carrier's progress)."""
        with self.lock:
            self.messages[order_id]["status"] = status
            if status == "DLVRD":
                self.messages[order_id]["delivery_date"] = time.strftime("%Y%m%d%H%M%S")

    def report(self, url, order_id, status, method="POST"):
        """Call Odoo's delivery report ``url`` like the provider does."""
        params = {
            "order_id": order_id,
            "status": status,
            "recipient": (self.messages.get(order_id) or {}).get("recipient", ""),
            "delivery_date": time.strftime("%Y%m%d%H%M%S"),
        }
        if method == "GET":
            sep = "&" if "?" in url else "?"
            with urllib.request.urlopen(
                f"{url}{sep}{urlencode(params)}", timeout=30
            ) as r:  # noqa: S310
                return r.status
        return _post_form(url, params)


class FakeTwilio(FakeProvider):
    kind = "twilio"
    account_sid = "AC" + "0123456789abcdef" * 2
    auth_token = "twilio-auth-token-0001"

    def handle(self, request, method, path, query):
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages"
        user, password = request.basic_auth()
        if method == "POST":
            body = request._body()
        if (user, password) != (self.account_sid, self.auth_token):
            return request.reply(
                401, {"code": 20003, "message": "Authenticate", "status": 401}
            )
        if method == "POST" and path == f"{base}.json":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            return self._send(request, form)
        if method == "GET" and path == f"{base}.json":
            return self._list(request, query)
        if method == "GET" and path.startswith(f"{base}/") and path.endswith(".json"):
            sid = path[len(base) + 1 : -5]
            with self.lock:
                self.lookups += 1
                message = self.messages.get(sid)
            if not message:
                return request.reply(
                    404,
                    {"code": 20404, "message": "The requested resource was not found"},
                )
            return request.reply(200, message)
        return request.reply(404, {"code": 20404, "message": "Not found"})

    def _send(self, request, form):
        number, text = form.get("To", ""), form.get("Body", "")
        if not number or not text:
            return request.reply(
                400,
                {"code": 21602, "message": "Message body is required.", "status": 400},
            )
        sid = "SM" + uuid.uuid4().hex
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": number,
            "from": form.get("From"),
            "body": text,
            "status": "queued",
            "num_segments": "1",
            "date_created": formatdate(usegmt=True),
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "status_callback": form.get("StatusCallback"),
        }

        def accept():
            self._accept(sid, message)

        fault = self._next_fault()
        if self._common_fault(request, fault, accept):
            return None
        rule = self.numbers.get(number)
        errors = {
            "invalid": (
                21211,
                f"The 'To' number {number} is not a valid phone number.",
            ),
            "landline": (21614, f"'To' number {number} is not a valid mobile number"),
            "blocked": (21610, "Attempt to send to unsubscribed recipient"),
            "credit": (30044, "Your account balance is insufficient."),
        }
        if rule in errors:
            code, text_error = errors[rule]
            return request.reply(
                400,
                {
                    "code": code,
                    "message": text_error,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": 400,
                },
            )
        accept()
        return request.reply(201, message)

    def _list(self, request, query):
        """The list of messages as Twilio filters it: ``To``, ``From`` and
        ``DateSent`` (``DateSent>``/``DateSent<``: a message still queued has no
        date_sent and is left out), newest first, ``PageSize`` per page with a
        ``next_page_uri``."""
        with self.lock:
            self.lookups += 1
            messages = list(self.messages.values())
        first = {key: values[0] for key, values in query.items()}
        to, sender = first.get("To"), first.get("From")
        found = []
        for m in reversed(messages):
            if (to and m["to"] != to) or (sender and m["from"] != sender):
                continue
            sent = m["date_sent"] and _day(m["date_sent"])
            if any(key in first for key in ("DateSent", "DateSent>", "DateSent<")):
                if not sent:
                    continue
                if "DateSent>" in first and sent < first["DateSent>"]:
                    continue
                if "DateSent<" in first and sent > first["DateSent<"]:
                    continue
                if "DateSent" in first and sent != first["DateSent"]:
                    continue
            found.append(m)
        size = int(first.get("PageSize") or 50)
        page = int(first.get("Page") or 0)
        chunk = found[page * size : (page + 1) * size]
        next_uri = None
        if len(found) > (page + 1) * size:
            base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
            next_uri = f"{base}?{urlencode(dict(first, Page=page + 1))}"
        return request.reply(
            200, {"messages": chunk, "next_page_uri": next_uri, "page": page}
        )

    def keys_for(self, number):
        """Accepted message SIDs sent to ``number``."""
        with self.lock:
            return [sid for sid in self.accepted if self.messages[sid]["to"] == number]

    def report(self, sid, status, error_code=None, forge=False, url=None):
        """POST a status callback for message ``sid``, signed like Twilio does.

        ``forge`` signs with a wrong token; ``url`` overrides the callback URL.
        """
        message = self.messages[sid]
        with self.lock:
            message["status"] = status
            message["error_code"] = error_code
            message["date_sent"] = message["date_sent"] or formatdate(usegmt=True)
        url = url or message["status_callback"]
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message["from"] or "",
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if error_code:
            params["ErrorCode"] = str(error_code)
        token = "forged-token" if forge else self.auth_token
        data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
        signature = base64.b64encode(
            hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
        ).decode()
        return _post_form(url, params, {"X-Twilio-Signature": signature})


class FakeIap(FakeProvider):
    """Odoo IAP's ``/api/sms/3/send``: accepts everything, 500 per request.

    Scripted faults: ``accept_reset`` (the messages are kept, the connection is
    reset before the answer), ``500`` (nothing kept).
    """

    kind = "iap"

    def handle(self, request, method, path, query):
        if method != "POST" or path != "/api/sms/3/send":
            return request.reply(404, {"error": "not found"})
        payload = json.loads(request._body())
        results, received = [], {}
        for message in payload["params"]["messages"]:
            for number in message["numbers"]:
                results.append(
                    {"uuid": number["uuid"], "state": "success", "credit": 1}
                )
                received[number["uuid"]] = {
                    "recipient": number["number"],
                    "message": message["content"],
                }
        fault = self._next_fault()
        if fault == "500":
            return request.reply(500, {"error": "scripted 500"})
        with self.lock:
            self.accepted.extend(r["uuid"] for r in results)
            self.messages.update(received)
        if fault == "accept_reset":
            return request.reset_connection()
        return request.reply(
            200, {"jsonrpc": "2.0", "id": payload.get("id"), "result": results}
        )


def iap_jsonrpc_loopback(url, method="call", params=None, timeout=15):
    """Odoo's IAP JSON-RPC client without its "unavailable during tests" guard.

    Patch ``odoo.addons.iap.tools.iap_tools.iap_jsonrpc`` with it and point the
    ``sms.endpoint`` system parameter at a ``FakeIap``: Odoo IAP's messages then
    really go over HTTP to the fake.
    """
    data = json.dumps(
        {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    ).encode()
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())["result"]


FAKES = {"skebby": FakeSkebby, "twilio": FakeTwilio, "iap": FakeIap}


def main(argv):
    kind = argv[1] if len(argv) > 1 else "skebby"
    port = int(argv[2]) if len(argv) > 2 else 0
    fake = FAKES[kind](port=port).start()
    sys.stdout.write(f"READY {fake.url}\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main(sys.argv)
