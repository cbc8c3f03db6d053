"""HTTP clients of the SMS providers (plain Python, no ORM: safe in worker threads).

Every call returns a result instead of raising, so that one message's failure never
affects another's:

* ``Outcome(kind, ref, failure, detail, retry_after)`` for a send, ``kind`` being

  - ``accepted``: the provider has the message (``ref`` is its reference);
  - ``permanent``: it will never be accepted (``failure`` says why: ``number``,
    ``not_mobile``, ``blocked``, ``credit``, ``account``, ``sender``, ``country``,
    ``content``);
  - ``temporary``: it was certainly not accepted, try again later (after
    ``retry_after`` seconds when the provider said so: 429, 503);
  - ``uncertain``: the request may have reached the provider (read timeout,
    connection reset, 5xx, unreadable answer): ask the provider before sending
    again.

* ``Report(found, ref, state, failure, detail, candidates)`` for a status lookup:
  ``found`` is True, False (the provider does not know the message) or None (could
  not ask); a lookup by recipient and text (Twilio) lists in ``candidates`` every
  message that may be this one, earliest created first (the caller keeps the first
  one no other message of its own holds);
  ``state`` is ``pending`` (accepted, not delivered yet), ``delivered`` or
  ``failed`` (``failure`` then is one of Odoo's delivery errors: ``expired``,
  ``invalid_destination``, ``not_allowed``, ``not_delivered``, ``rejected``).

Credentials never appear in results, exceptions or logs.
"""

import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import threading
import time
from collections import namedtuple
from urllib.parse import quote, urlencode

import urllib3

Outcome = namedtuple("Outcome", ["kind", "ref", "failure", "detail", "retry_after"])
Report = namedtuple(
    "Report",
    ["found", "ref", "state", "failure", "detail", "candidates"],
    defaults=((),),
)

DEFAULT_URLS = {
    "skebby": "https://api.skebby.it/API/v1.0/REST/",
    "twilio": "https://api.twilio.com",
}


def accepted(ref, detail=""):
    return Outcome("accepted", ref, False, detail, 0)


def permanent(failure, detail):
    return Outcome("permanent", False, failure, detail, 0)


def temporary(detail, retry_after=0):
    return Outcome("temporary", False, False, detail, retry_after)


def uncertain(detail):
    return Outcome("uncertain", False, False, detail, 0)


def parse_retry_after(value, default=60):
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0, int(when.timestamp() - time.time()))


def new_pool(size=8):
    """A connection pool shared by the threads of one sending run."""
    return urllib3.PoolManager(num_pools=4, maxsize=size, block=True, retries=False)


class _NotSent(Exception):
    """The request certainly did not reach the provider."""


class _MaybeSent(Exception):
    """The request may have reached the provider."""


class ProviderClient:
    kind = None

    def __init__(self, http, base_url, timeout=10.0, sender=None):
        self.http = http
        self.base_url = (base_url or DEFAULT_URLS.get(self.kind, "")).rstrip("/")
        self.timeout = urllib3.Timeout(connect=min(timeout, 5.0), read=timeout)
        self.sender = sender or None

    def _request(self, method, path, **kw):
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            return self.http.request(
                method,
                url,
                timeout=self.timeout,
                retries=False,
                redirect=False,
                **kw,
            )
        except (
            urllib3.exceptions.ConnectTimeoutError,  # includes NewConnectionError
            urllib3.exceptions.LocationParseError,
        ) as exc:
            raise _NotSent(type(exc).__name__) from None
        except urllib3.exceptions.HTTPError as exc:
            # read timeout, connection reset or closed mid-answer...
            raise _MaybeSent(type(exc).__name__) from None
        except OSError as exc:
            raise _MaybeSent(type(exc).__name__) from None

    @staticmethod
    def _json(response):
        try:
            return json.loads(response.data.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError):
            return None

    @staticmethod
    def _text(response, limit=200):
        return response.data.decode("utf-8", "replace").strip()[:limit]


class SkebbyClient(ProviderClient):
    """REST API of Skebby, Esendex Italia and their white labels (``/API/v1.0/REST``).

    Login (``GET login`` for a session key or ``GET token`` for an access token,
    HTTP basic authentication) answers ``user_key;key``; both go in the headers of
    every call. ``POST sms`` sends one message with our ``order_id``;
    ``GET sms/<order_id>`` tells its state per recipient.
    """

    kind = "skebby"

    # recipient states of GET sms/<order_id>
    STATES = {
        "DLVRD": ("delivered", False),
        "SENT": ("pending", False),
        "WAIT4DLVR": ("pending", False),
        "WAITING": ("pending", False),
        "SCHEDULED": ("pending", False),
        "ERROR": ("failed", "not_delivered"),
        "KO": ("failed", "not_delivered"),
        "TIMEOUT": ("failed", "expired"),
        "TOOM4NUM": ("failed", "rejected"),
        "TOOM4USER": ("failed", "rejected"),
        "INVALIDCONTENTS": ("failed", "rejected"),
        "UNKNPFX": ("failed", "invalid_destination"),
        "UNKNRCPT": ("failed", "invalid_destination"),
        "INVALIDDST": ("failed", "invalid_destination"),
        "BLACKLISTED": ("failed", "not_allowed"),
    }
    # markers of the error text of a 400 answer to POST sms
    ERRORS = (
        ("CREDIT", "credit"),
        ("BLACKLIST", "blocked"),
        ("LANDLINE", "not_mobile"),
        ("NOT_MOBILE", "not_mobile"),
        ("RECIPIENT", "number"),
        ("SENDER", "sender"),
        ("MESSAGE", "content"),
    )

    def __init__(
        self,
        http,
        base_url,
        username,
        password,
        auth="session",
        message_type="GP",
        timeout=10.0,
        sender=None,
    ):
        super().__init__(http, base_url, timeout=timeout, sender=sender)
        self._basic = urllib3.make_headers(
            basic_auth=f"{username or ''}:{password or ''}"
        )
        self.auth = auth
        self.message_type = message_type or "GP"
        self._keys = None
        self._lock = threading.Lock()

    def login(self, force=False):
        """Log in once (again when ``force``); return an error Outcome or None."""
        with self._lock:
            if self._keys and not force:
                return None
            path = "token" if self.auth == "token" else "login"
            try:
                response = self._request("GET", path, headers=self._basic)
            except (_NotSent, _MaybeSent) as exc:
                return temporary(f"login: {exc}")
            if response.status in (401, 403, 404):
                return permanent("account", f"login refused (HTTP {response.status})")
            if response.status == 429 or response.status >= 500:
                return temporary(
                    f"login: HTTP {response.status}",
                    parse_retry_after(response.headers.get("Retry-After"), 0),
                )
            parts = self._text(response, 500).split(";")
            if response.status != 200 or len(parts) < 2 or not all(parts[:2]):
                return temporary("login: unexpected answer")
            header = "Access_token" if self.auth == "token" else "Session_key"
            self._keys = {
                "user_key": parts[0].strip(),
                header: parts[1].strip(),
            }
            return None

    def _headers(self):
        return dict(self._keys or {}, **{"Content-Type": "application/json"})

    def _call(self, method, path, **kw):
        """Request with the session headers, logging in again once on 401."""
        error = self.login()
        if error:
            return error, None
        response = self._request(method, path, headers=self._headers(), **kw)
        if response.status == 401:
            error = self.login(force=True)
            if error:
                return error, None
            response = self._request(method, path, headers=self._headers(), **kw)
        return None, response

    def send(self, order_id, number, text):
        payload = {
            "message_type": self.message_type,
            "message": text,
            "recipient": [number],
            "order_id": order_id,
            "returnCredits": False,
        }
        if self.sender:
            payload["sender"] = self.sender
        try:
            error, response = self._call(
                "POST", "sms", body=json.dumps(payload).encode("utf-8")
            )
        except _NotSent as exc:
            return temporary(str(exc))
        except _MaybeSent as exc:
            return uncertain(str(exc))
        if error:
            return error
        status = response.status
        if status in (200, 201):
            data = self._json(response)
            if isinstance(data, dict) and data.get("result") == "OK":
                return accepted(data.get("order_id") or order_id)
            return uncertain(f"HTTP {status}: unreadable answer")
        if status == 429 or (status == 503 and response.headers.get("Retry-After")):
            return temporary(
                f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status >= 500:
            return uncertain(f"HTTP {status}")
        if status in (401, 403):
            return permanent("account", f"HTTP {status}: credentials refused")
        text = self._text(response)
        upper = text.upper()
        for marker, failure in self.ERRORS:
            if marker in upper:
                return permanent(failure, f"HTTP {status}: {text}")
        return permanent("content", f"HTTP {status}: {text}")

    def lookup(self, order_id, number=None, text=None, since=None):
        try:
            error, response = self._call("GET", f"sms/{quote(order_id, safe='')}")
        except (_NotSent, _MaybeSent) as exc:
            return Report(None, False, False, False, str(exc))
        if error:
            return Report(None, False, False, False, error.detail)
        if response.status == 404:
            return Report(False, False, False, False, "unknown order")
        data = self._json(response)
        if response.status != 200 or not isinstance(data, dict):
            return Report(None, False, False, False, f"HTTP {response.status}")
        recipients = data.get("recipients") or []
        if not recipients:
            return Report(False, False, False, False, "no recipient")
        raw = str(recipients[0].get("status") or "").upper()
        state, failure = self.STATES.get(raw, ("pending", False))
        return Report(True, order_id, state, failure, raw)

    def status_of(self, ref):
        return self.lookup(ref)

    @classmethod
    def report_from_params(cls, params):
        """``(order_id, Report)`` from the parameters of a delivery report call."""
        order_id = (params.get("order_id") or "").strip()
        raw = str(params.get("status") or "").strip().upper()
        if not order_id or raw not in cls.STATES:
            return order_id, None
        state, failure = cls.STATES[raw]
        return order_id, Report(True, order_id, state, failure, raw)


class TwilioClient(ProviderClient):
    """Twilio Programmable Messaging (``/2010-04-01/Accounts/<sid>/Messages.json``).

    One ``POST`` per recipient (form encoded, HTTP basic authentication with the
    account SID and auth token) with a ``StatusCallback`` URL; the message SID is
    the reference. Twilio takes no reference of ours, so an uncertain send is
    looked up by recipient, sender, date and body before sending again.
    """

    kind = "twilio"

    STATES = {
        "accepted": ("pending", False),
        "scheduled": ("pending", False),
        "queued": ("pending", False),
        "sending": ("pending", False),
        "sent": ("pending", False),
        "delivered": ("delivered", False),
        "read": ("delivered", False),
        "undelivered": ("failed", "not_delivered"),
        "failed": ("failed", "not_delivered"),
        "canceled": ("failed", "not_delivered"),
    }
    # error codes of a refused POST (HTTP 400)
    ERRORS = {
        21211: "number",
        21614: "not_mobile",
        21407: "country",
        21408: "country",
        21612: "country",
        21610: "blocked",
        21606: "sender",
        21212: "sender",
        21659: "sender",
        21602: "content",
        21617: "content",
        20003: "account",
        20404: "account",
        30044: "credit",
    }
    # error codes of an undelivered message (status callback)
    DELIVERY_ERRORS = {
        30003: "not_delivered",
        30004: "not_allowed",
        30005: "invalid_destination",
        30006: "invalid_destination",
        30007: "rejected",
        30008: "not_delivered",
        30034: "rejected",
    }

    def __init__(
        self, http, base_url, account_sid, auth_token, timeout=10.0, sender=None
    ):
        super().__init__(http, base_url, timeout=timeout, sender=sender)
        self.account_sid = account_sid or ""
        self._auth = urllib3.make_headers(
            basic_auth=f"{self.account_sid}:{auth_token or ''}"
        )
        self._prefix = f"2010-04-01/Accounts/{quote(self.account_sid, safe='')}"

    def login(self, force=False):
        return None

    def send(self, ref, number, text, status_callback=None):
        fields = {"To": number, "Body": text}
        if self.sender:
            fields["From"] = self.sender
        if status_callback:
            fields["StatusCallback"] = status_callback
        headers = dict(
            self._auth, **{"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            response = self._request(
                "POST",
                f"{self._prefix}/Messages.json",
                body=urlencode(fields).encode("utf-8"),
                headers=headers,
            )
        except _NotSent as exc:
            return temporary(str(exc))
        except _MaybeSent as exc:
            return uncertain(str(exc))
        status = response.status
        data = self._json(response)
        if status in (200, 201):
            if isinstance(data, dict) and data.get("sid"):
                return accepted(data["sid"], data.get("status") or "")
            return uncertain(f"HTTP {status}: unreadable answer")
        if status == 429 or (status == 503 and response.headers.get("Retry-After")):
            return temporary(
                f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if status >= 500:
            return uncertain(f"HTTP {status}")
        code = data.get("code") if isinstance(data, dict) else None
        message = (
            data.get("message") if isinstance(data, dict) else self._text(response)
        )
        if status in (401, 403):
            return permanent("account", f"HTTP {status} {code or ''}: {message}")
        failure = self.ERRORS.get(code, "content")
        return permanent(failure, f"HTTP {status} {code or ''}: {message}")

    def _report(self, data):
        raw = str(data.get("status") or "").lower()
        state, failure = self.STATES.get(raw, ("pending", False))
        if state == "failed":
            failure = self.DELIVERY_ERRORS.get(_int(data.get("error_code")), failure)
        return Report(True, data.get("sid"), state, failure, raw)

    LOOKUP_PAGES = 5

    def lookup(self, ref, number=None, text=None, since=None):
        """Messages to ``number`` with ``text`` created at or after ``since`` (naive
        UTC), earliest first, in ``candidates``.

        No ``DateSent`` filter: a message still queued at Twilio has no date_sent
        yet and would be missed. Matched on ``date_created``, never on date_sent.
        """
        params = {"To": number, "PageSize": 100}
        if self.sender:
            params["From"] = self.sender
        path = f"{self._prefix}/Messages.json?{urlencode(params)}"
        matches = []
        for _page in range(self.LOOKUP_PAGES):
            try:
                response = self._request("GET", path, headers=self._auth)
            except (_NotSent, _MaybeSent) as exc:
                return Report(None, False, False, False, str(exc))
            data = self._json(response)
            if response.status != 200 or not isinstance(data, dict):
                return Report(None, False, False, False, f"HTTP {response.status}")
            for message in data.get("messages") or []:
                if message.get("body") != text or message.get("to") != number:
                    continue
                created = _utc(message.get("date_created"))
                if created is None:
                    return Report(None, False, False, False, "unreadable date_created")
                if since is None or created >= since:
                    matches.append((created, self._report(message)))
            path = data.get("next_page_uri")
            if not path:
                break
        else:
            return Report(None, False, False, False, "too many messages to compare")
        if not matches:
            return Report(False, False, False, False, "not found")
        matches.sort(key=lambda match: match[0])
        candidates = tuple(report for _created, report in matches)
        return candidates[0]._replace(candidates=candidates)

    def status_of(self, ref):
        try:
            response = self._request(
                "GET",
                f"{self._prefix}/Messages/{quote(ref, safe='')}.json",
                headers=self._auth,
            )
        except (_NotSent, _MaybeSent) as exc:
            return Report(None, False, False, False, str(exc))
        if response.status == 404:
            return Report(False, False, False, False, "unknown message")
        data = self._json(response)
        if response.status != 200 or not isinstance(data, dict):
            return Report(None, False, False, False, f"HTTP {response.status}")
        return self._report(data)

    @classmethod
    def report_from_params(cls, params):
        """``Report`` from the form of a status callback."""
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        raw = str(params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
        if not sid or raw not in cls.STATES:
            return None
        state, failure = cls.STATES[raw]
        if state == "failed":
            failure = cls.DELIVERY_ERRORS.get(_int(params.get("ErrorCode")), failure)
        return Report(True, sid, state, failure, raw)


def twilio_signature(auth_token, url, params):
    """X-Twilio-Signature of a POST to ``url`` with form ``params``.

    Base64 of the HMAC-SHA1 (key: the auth token) of the URL followed by every
    parameter name and value, sorted by name.
    """
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new((auth_token or "").encode(), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


def _utc(value):
    """Naive UTC datetime of an RFC 2822 date (Twilio's dates), None if unreadable."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
