"""The one contact policy every outbound message passes before it is sent."""

import bisect
import datetime as dt
from functools import lru_cache

import pytz
from dateutil.easter import easter

from odoo import api, fields, models
from odoo.tools import SQL

try:
    import phonenumbers
except ImportError:  # pragma: no cover - phonenumbers is in requirements.txt
    phonenumbers = None

EXCLUSION_REASONS = [
    ("archived", "Archived contact"),
    ("no_consent", "No consent recorded"),
    ("consent_revoked", "Consent revoked"),
    ("no_address", "No mobile number or email"),
    ("not_mobile", "Not a mobile number"),
    ("blacklisted", "Blacklisted"),
    ("frequency_cap", "Frequency cap reached"),
    ("duplicate", "Same person twice"),
]
# Reasons a message waits instead of going now (never a reason to drop it). Models
# that record a decision use these lists as the selection of a field, which is what
# translates their labels.
DEFER_REASONS = [
    ("quiet_hours", "Outside the send window"),
    ("throttle", "Hourly limit reached"),
    ("frequency_cap", "Frequency cap reached"),
    ("shared_address", "Number or email shared with another customer"),
]
# Service messages are care (exam recall, lens reorder): these verdicts make them
# wait for their next allowed slot instead of dropping them (see _optical_holds)
SERVICE_HOLD_REASONS = {"frequency_cap": "frequency_cap", "duplicate": "shared_address"}
# people sharing one number or email get their service messages a day apart
SHARED_ADDRESS_GAP = dt.timedelta(days=1)
ADDRESS_CHANNELS = {"sms": "phone", "phone": "phone", "email": "email"}
BLACKLIST_CHANNELS = {"sms", "phone", "email"}


@lru_cache(maxsize=64)
def italian_public_holidays(year):
    """National public holidays of Italy (feste nazionali) in ``year``."""
    easter_sunday = easter(year)
    days = {
        dt.date(year, 1, 1),  # Capodanno
        dt.date(year, 1, 6),  # Epifania
        easter_sunday,
        easter_sunday + dt.timedelta(days=1),  # Lunedì dell'Angelo
        dt.date(year, 4, 25),  # Liberazione
        dt.date(year, 5, 1),  # Festa del lavoro
        dt.date(year, 6, 2),  # Festa della Repubblica
        dt.date(year, 8, 15),  # Ferragosto
        dt.date(year, 11, 1),  # Ognissanti
        dt.date(year, 12, 8),  # Immacolata
        dt.date(year, 12, 25),
        dt.date(year, 12, 26),
    }
    if year >= 2026:  # San Francesco d'Assisi, national holiday again (L. 151/2025)
        days.add(dt.date(year, 10, 4))
    return frozenset(days)


@lru_cache(maxsize=100_000)
def is_mobile_number(e164):
    """Whether an E.164 number is a mobile one (SMS can reach it)."""
    if not e164:
        return False
    if e164.startswith("+393") and 12 <= len(e164) <= 13 and e164[1:].isdigit():
        return True  # Italian numbers starting with 3 are mobile ones (fast path)
    if phonenumbers is None:  # without the library, trust the number
        return True
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


class OpticalContactPolicy(models.AbstractModel):
    """Consent, address, blacklist, frequency cap, quiet hours and throttle.

    Campaigns and cycles call this model, and only this model, to decide whether,
    and when, a message may go to a customer.
    """

    _name = "optical.contact.policy"
    _description = "Contact policy"

    # ------------------------------------------------------------------ who
    @api.model
    def _optical_screen(
        self, partners, channel, purpose="marketing", company=None, at=None, cap=True
    ):
        """Decide, for a whole audience at once, who may receive a message.

        :param partners: ``res.partner`` records (any size: one SQL query)
        :param channel: ``sms``, ``email``, ``phone`` or ``app``
        :param purpose: ``marketing`` (needs a granted consent) or ``service``
            (allowed unless revoked; blacklists are marketing opt-outs)
        :param company: the sending shop (consents given to it or to every shop)
        :param at: when the message would go (frequency cap window), default now
        :param cap: apply the frequency cap
        :return: ``{partner_id: False | reason}``, a reason of EXCLUSION_REASONS;
            people sharing one address: the first (lowest id) is kept, the others
            are ``duplicate``

        The frequency cap, with service first: at most ``optical_cap_count``
        messages per customer in ``optical_cap_days``. A marketing message counts
        every message already sent (service ones too: care uses up the room
        first); a service message counts only the service ones, so promotions
        never push care out. A service message refused by the cap or by a shared
        address is held, not dropped (:meth:`_optical_holds`).
        """
        company = company or self.env.company
        at = at or self.env.cr.now().replace(tzinfo=None)
        if not partners:
            return {}
        self.env["res.partner"].flush_model(
            ["active", "phone_sanitized", "email_normalized"]
        )
        self.env["optical.consent"].flush_model()
        self.env["optical.contact.log"].flush_model()
        marketing = purpose == "marketing"
        capped = cap and purpose in ("marketing", "service")
        cap_count = company.optical_cap_count if capped else 0
        since = at - dt.timedelta(days=company.optical_cap_days or 30)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, p.active, c.granted, p.phone_sanitized, p.email_normalized,
                       EXISTS(SELECT 1 FROM phone_blacklist b
                               WHERE b.number = p.phone_sanitized AND b.active),
                       EXISTS(SELECT 1 FROM mail_blacklist b
                               WHERE b.email = p.email_normalized AND b.active),
                       CASE WHEN %(cap)s > 0 THEN (
                           SELECT COUNT(*) FROM optical_contact_log l
                            WHERE l.partner_id = p.id
                              AND (%(marketing)s OR l.purpose = %(purpose)s)
                              AND l.is_control IS NOT TRUE
                              AND l.datetime > %(since)s AND l.datetime <= %(at)s)
                       ELSE 0 END
                  FROM res_partner p
                  LEFT JOIN LATERAL (
                        SELECT oc.granted FROM optical_consent oc
                         WHERE oc.partner_id = p.id AND oc.channel = %(channel)s
                           AND oc.purpose = %(purpose)s
                           AND (oc.company_id IS NULL OR oc.company_id = %(company)s)
                         ORDER BY oc.date DESC, oc.id DESC LIMIT 1) c ON TRUE
                 WHERE p.id = ANY(%(ids)s)
                 ORDER BY p.id
                """,
                ids=partners.ids,
                channel=channel,
                purpose=purpose,
                company=company.id,
                cap=cap_count,
                since=since,
                at=at,
                marketing=marketing,
            )
        )
        address_kind = ADDRESS_CHANNELS.get(channel)
        seen = set()
        result = {}
        for pid, active, granted, phone, email, phone_bl, mail_bl, recent in rows:
            address = {"phone": phone, "email": email}.get(address_kind)
            reason = False
            if not active:
                reason = "archived"
            elif granted is False:
                reason = "consent_revoked"
            elif granted is None and marketing:
                reason = "no_consent"
            elif address_kind and not address:
                reason = "no_address"
            elif channel == "sms" and not is_mobile_number(address):
                reason = "not_mobile"
            elif marketing and (
                (address_kind == "phone" and phone_bl)
                or (address_kind == "email" and mail_bl)
            ):
                reason = "blacklisted"
            elif cap_count and recent >= cap_count:
                reason = "frequency_cap"
            elif address and address in seen:
                reason = "duplicate"
            if address and reason in (False, "frequency_cap"):
                # a capped person's address is capped for the people sharing it
                seen.add(address)
            result[pid] = reason
        return result

    # ------------------------------------------------------------------ hold
    @api.model
    def _optical_holds(self, purpose, reason):
        """Whether a refusal only makes the message wait: a service message held
        by the frequency cap or by an address shared with another customer.
        Returns the defer reason (see DEFER_REASONS) or False."""
        return purpose == "service" and SERVICE_HOLD_REASONS.get(reason) or False

    @api.model
    def _optical_hold_until(self, partners, reason, company, at):
        """When the held service messages of ``partners`` may go, already inside
        the send window: ``{partner_id: datetime or False}`` (naive UTC; False
        when the window has no opening in three weeks).

        Frequency cap: when the oldest service message that fills the cap
        leaves the period. Shared address: a day later (one of them a day)."""
        if not partners:
            return {}
        if reason == "frequency_cap" and company.optical_cap_count:
            days = dt.timedelta(days=company.optical_cap_days or 30)
            self.env["optical.contact.log"].flush_model()
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT pid, (
                        SELECT l.datetime FROM optical_contact_log l
                         WHERE l.partner_id = pid AND l.purpose = 'service'
                           AND l.is_control IS NOT TRUE
                           AND l.datetime > %(since)s AND l.datetime <= %(at)s
                         ORDER BY l.datetime DESC
                         OFFSET %(offset)s LIMIT 1)
                      FROM unnest(%(ids)s::int[]) AS pid
                    """,
                    since=at - days,
                    at=at,
                    offset=company.optical_cap_count - 1,
                    ids=partners.ids,
                )
            )
            wanted = {
                pid: max(at, oldest + days) if oldest else at for pid, oldest in rows
            }
        else:
            wanted = dict.fromkeys(partners.ids, at + SHARED_ADDRESS_GAP)
        ids = list(wanted)
        slots = self._optical_next_send_slots(company, [wanted[pid] for pid in ids])
        return dict(zip(ids, slots, strict=True))

    # ------------------------------------------------------------------ when
    @api.model
    def _optical_next_send_slots(self, company, datetimes):
        """The first moment inside the shop's send window at or after each datetime.

        The window is the company's send calendar (a ``resource.calendar``: hours per
        weekday, its global time off for local closures, its timezone), without the
        Italian public holidays when the company says so. Datetimes are naive UTC,
        as stored by Odoo; so are the results. Messages are never dropped for being
        outside the window: they wait for the next slot.
        """
        if not datetimes:
            return []
        calendar = company._optical_send_calendar()
        tz = pytz.timezone(calendar.tz or "Europe/Rome")
        start = pytz.utc.localize(min(datetimes))
        horizon = pytz.utc.localize(max(datetimes)) + dt.timedelta(days=21)
        intervals = calendar._work_intervals_batch(start, horizon, tz=tz)[False]
        skip_holidays = company.optical_skip_public_holidays
        slots = []
        for begin, end, _meta in intervals:
            day = begin.astimezone(tz).date()
            if skip_holidays and day in italian_public_holidays(day.year):
                continue
            slots.append(
                (
                    begin.astimezone(pytz.utc).replace(tzinfo=None),
                    end.astimezone(pytz.utc).replace(tzinfo=None),
                )
            )
        ends = [end for _begin, end in slots]
        result = []
        for when in datetimes:
            index = bisect.bisect_right(ends, when)
            if index == len(slots):
                result.append(False)  # no window in three weeks: misconfigured
                continue
            begin, _end = slots[index]
            result.append(max(when, begin))
        return result

    @api.model
    def _optical_next_send_slot(self, company, when):
        return self._optical_next_send_slots(company, [when])[0]

    @api.model
    def _optical_hourly_quota(self, company, at=None):
        """How many more messages the shop may send in the current clock hour.

        ``None`` when the shop sets no hourly limit.
        """
        limit = company.optical_hourly_limit
        if not limit:
            return None
        at = at or self.env.cr.now().replace(tzinfo=None)
        hour = at.replace(minute=0, second=0, microsecond=0)
        self.env["optical.contact.log"].flush_model()
        [(sent,)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM optical_contact_log WHERE company_id = %s "
                "AND is_control IS NOT TRUE AND datetime >= %s AND datetime < %s",
                company.id,
                hour,
                hour + dt.timedelta(hours=1),
            )
        )
        return max(limit - sent, 0)

    # ------------------------------------------------------------------ record
    @api.model
    def _optical_log_sent(self, vals_list):
        """Record messages as sent (or held out): caps, attribution and timeline.

        One SQL insert for the whole list (campaigns log thousands of messages per
        batch). Each dict needs ``partner_id``, ``channel``, ``res_model`` and
        ``res_id``; ``company_id`` (current company), ``purpose`` (marketing),
        ``datetime`` (now), ``is_control``, ``mailing_id`` and
        ``mailing_trace_id`` are optional. Returns the ``optical.contact.log``
        records.
        """
        Log = self.env["optical.contact.log"].sudo()
        if not vals_list:
            return Log
        channels = dict(Log._fields["channel"].selection)
        purposes = dict(Log._fields["purpose"].selection)
        now = fields.Datetime.now()
        columns = {
            "partner_id": [],
            "company_id": [],
            "channel": [],
            "purpose": [],
            "datetime": [],
            "is_control": [],
            "res_model": [],
            "res_id": [],
            "mailing_id": [],
            "mailing_trace_id": [],
        }
        for vals in vals_list:
            missing = [
                fname
                for fname in ("partner_id", "channel", "res_model", "res_id")
                if not vals.get(fname)
            ]
            purpose = vals.get("purpose") or "marketing"
            if missing or vals["channel"] not in channels or purpose not in purposes:
                raise ValueError(f"Invalid message log values: {vals}")
            columns["partner_id"].append(vals["partner_id"])
            columns["company_id"].append(vals.get("company_id") or self.env.company.id)
            columns["channel"].append(vals["channel"])
            columns["purpose"].append(purpose)
            columns["datetime"].append(
                fields.Datetime.to_datetime(vals.get("datetime")) or now
            )
            columns["is_control"].append(bool(vals.get("is_control")))
            columns["res_model"].append(vals["res_model"])
            columns["res_id"].append(vals["res_id"])
            columns["mailing_id"].append(vals.get("mailing_id") or None)
            columns["mailing_trace_id"].append(vals.get("mailing_trace_id") or None)
        Log.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO optical_contact_log
                       (partner_id, company_id, channel, purpose, datetime,
                        is_control, res_model, res_id, mailing_id, mailing_trace_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT v.*, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partner_id)s::int[], %(company_id)s::int[],
                              %(channel)s::varchar[], %(purpose)s::varchar[],
                              %(datetime)s::timestamp[], %(is_control)s::bool[],
                              %(res_model)s::varchar[], %(res_id)s::int[],
                              %(mailing_id)s::int[], %(mailing_trace_id)s::int[]) v
                RETURNING id
                """,
                uid=self.env.uid,
                now=now,
                **columns,
            )
        )
        return Log.browse([row[0] for row in rows])
