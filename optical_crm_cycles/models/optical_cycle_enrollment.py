import datetime as dt
import threading
import time
from collections import defaultdict

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .optical_cycle_execution import EXIT_REASONS, REVIVABLE_REASONS

SOURCE_MODELS = [
    # invoices and sales receipts; the other sales (point of sale, other systems,
    # the import) are the customer's, with the sales-ledger document as source_key
    ("account.move", "Invoice or receipt"),
    ("optical.exam", "Eye exam"),
    ("optical.prescription", "Prescription"),
    ("res.partner", "Customer"),
]
# exits that mean the trigger itself did not (or no longer) happen: they do not
# count for the re-entry policy; the revivable ones (see optical_cycle_execution)
# come back when the same document enrolls the same customer again
VOID_REASONS = REVIVABLE_REASONS + ("invoice_credited",)
# what resetting an invoice or receipt to draft or cancelling it writes
RESET_REASONS = ("invoice_draft", "invoice_cancelled")

# Send-window slots already computed: {(db, company, calendar, write_date, holidays,
# datetime): (slot, computed_at)}. All sales recorded on a day share the few
# datetimes their steps fall on, so posting rarely computes a calendar.
_SLOT_CACHE = {}
_SLOT_CACHE_TTL = 600
_SLOT_CACHE_MAX = 50_000


class OpticalCycleEnrollment(models.Model):
    """A customer in a cycle because of one source document (sale, exam...)."""

    _name = "optical.cycle.enrollment"
    _description = "Cycle enrollment"
    _order = "trigger_date desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True

    cycle_id = fields.Many2one(
        "optical.cycle", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(
        "res.company",
        string="Shop",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    source_ref = fields.Reference(
        SOURCE_MODELS,
        string="Source document",
        required=True,
        readonly=True,
        help="The invoice or receipt, eye exam, prescription or customer that "
        "started the enrollment.",
    )
    source_key = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="Date-based triggers: which date (one enrollment per date). Sales "
        "that are not invoices or receipts (point of sale, other systems, the "
        "import): the sale document in the sales ledger.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice or receipt",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    trigger_date = fields.Date(required=True, readonly=True, index=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("stopped", "Stopped")],
        required=True,
        default="running",
        readonly=True,
        index=True,
    )
    stop_reason = fields.Selection(EXIT_REASONS, readonly=True)
    stop_date = fields.Datetime(readonly=True)
    watch_categories = fields.Char(
        readonly=True,
        help="Optical categories whose purchase counts as buying again.",
    )
    reentry_once = fields.Boolean(readonly=True)
    execution_ids = fields.One2many(
        "optical.cycle.execution", "enrollment_id", string="Messages"
    )
    source_display = fields.Char(
        string="Source", compute="_compute_source_display", compute_sudo=True
    )
    next_scheduled_at = fields.Datetime(
        string="Next message", compute="_compute_next_scheduled_at"
    )

    def init(self):
        self.env.cr.execute(
            """
            DROP INDEX IF EXISTS optical_cycle_enrollment_source_uniq;
            CREATE UNIQUE INDEX IF NOT EXISTS optical_cycle_enrollment_doc_partner_uniq
                ON optical_cycle_enrollment
                   (cycle_id, source_ref, COALESCE(source_key, ''), partner_id);
            CREATE UNIQUE INDEX IF NOT EXISTS optical_cycle_enrollment_once_uniq
                ON optical_cycle_enrollment (cycle_id, partner_id) WHERE reentry_once;
            CREATE INDEX IF NOT EXISTS optical_cycle_enrollment_cycle_partner_idx
                ON optical_cycle_enrollment (cycle_id, partner_id);
            """
        )

    @api.depends("source_ref", "source_key")
    def _compute_source_display(self):
        labels = dict(self._fields["source_ref"]._description_selection(self.env))
        # sales without an invoice or receipt: the document's name in the ledger
        keys = [key for key in self.mapped("source_key") if key]
        sale_names = (
            {
                key: name or key
                for key, name in self.env["optical.sale.line"]._read_group(
                    [("document_key", "in", keys)], ["document_key", "document_name"]
                )
            }
            if keys
            else {}
        )
        for enrollment in self:
            source = enrollment.source_ref
            if not source:
                enrollment.source_display = False
            elif source._name == "account.move":
                enrollment.source_display = source.name
            elif enrollment.source_key in sale_names:
                enrollment.source_display = sale_names[enrollment.source_key]
            elif (
                enrollment.cycle_id.trigger == "invoice_posted"
                and enrollment.source_key
            ):
                # a sale no longer in the ledger (deleted, cancelled)
                enrollment.source_display = enrollment.source_key
            else:
                enrollment.source_display = self.env._(
                    "%(kind)s of %(date)s",
                    kind=labels[source._name],
                    date=enrollment.trigger_date,
                )

    def _compute_next_scheduled_at(self):
        Execution = self.env["optical.cycle.execution"]
        data = {
            enrollment.id: when
            for enrollment, when in Execution._read_group(
                [("enrollment_id", "in", self.ids), ("state", "=", "scheduled")],
                ["enrollment_id"],
                ["scheduled_at:min"],
            )
        }
        for enrollment in self:
            enrollment.next_scheduled_at = data.get(enrollment.id, False)

    # ------------------------------------------------------------------ events
    # (sales: see optical_cycle_enrollment_source.py)
    @api.model
    def _optical_on_exams_done(self, exams):
        # an exam moved to another customer or another date: what it enrolled
        # before stops, then the exam enrolls as it is now
        self._optical_follow_sources(exams)
        cycles = self.env["optical.cycle"].search(
            [
                ("trigger", "=", "exam_done"),
                ("company_id", "in", exams.company_id.ids),
                ("step_ids", "!=", False),
            ]
        )
        new = []
        if cycles:
            new = self._optical_enroll(cycles._optical_exam_candidates(exams))[
                "enrollments"
            ]
        self._optical_check_exits(
            self._optical_pending_ids(
                SQL("en.partner_id = ANY(%s)", exams.partner_id.ids),
                step_level=True,
                exclude=new,
            )
        )

    # ------------------------------------------------------------------ exits
    @api.model
    def _optical_pending_ids(self, where, step_level=False, exclude=()):
        """Pending executions of the enrollments ``en`` matching ``where`` (SQL),
        but the enrollments in ``exclude`` (e.g. the ones just created)."""
        self.flush_model()
        self.env["optical.cycle.execution"].flush_model(["state", "enrollment_id"])
        step_filter = SQL("AND st.skip_if_repurchased") if step_level else SQL()
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT x.id FROM optical_cycle_execution x
                      JOIN optical_cycle_enrollment en ON en.id = x.enrollment_id
                      JOIN optical_cycle_step st ON st.id = x.step_id
                     WHERE %s AND x.state = 'scheduled'
                       AND x.enrollment_id != ALL(%s) %s
                    """,
                    where,
                    [i for i in exclude if i] or [0],
                    step_filter,
                )
            )
        ]

    @api.model
    def _optical_check_exits(self, execution_ids):
        """Evaluate the exit rules now and cancel what they stop (rows being sent
        by a dispatcher right now are left to its own check)."""
        if not execution_ids:
            return {}
        Execution = self.env["optical.cycle.execution"]
        self.env["optical.cycle.execution"].flush_model()
        locked = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT id FROM optical_cycle_execution WHERE id = ANY(%s) "
                    "AND state = 'scheduled' FOR NO KEY UPDATE SKIP LOCKED",
                    list(execution_ids),
                )
            )
        ]
        reasons = Execution._optical_exit_reasons(locked)
        Execution._optical_apply_exits(reasons)
        return reasons

    # ------------------------------------------------------------------ enroll
    @api.model
    def _optical_enroll(self, candidates, now=None, dry_run=False):
        """Enroll candidates (dicts built by ``optical.cycle._optical_*_candidates``)
        and schedule their steps, or, with ``dry_run``, only say what would happen.

        One enrollment per cycle and source document whatever happens: the unique
        index decides (INSERT ... ON CONFLICT DO NOTHING), so posting twice or two
        transactions posting at once never enroll twice. A source whose steps were
        cancelled because its invoice or receipt went back to draft is
        re-activated.

        :return: ``{"enrollments": ids, "plan": [(cycle_id, step_id, planned_at,
            scheduled_at, state, reason)], "existing": n, "reentry": n}``
        """
        now = now or fields.Datetime.now()
        result = {
            "enrollments": [],
            "known": [],
            "plan": [],
            "existing": 0,
            "reentry": 0,
        }
        kept = []
        by_cycle = defaultdict(list)
        for candidate in candidates:
            by_cycle[candidate["cycle"]].append(candidate)
        for cycle, cycle_candidates in by_cycle.items():
            allowed = cycle._optical_segment_filter(
                {c["partner_id"] for c in cycle_candidates}
            )
            kept += [c for c in cycle_candidates if c["partner_id"] in allowed]
        if not kept:
            return result
        history = self._optical_history(kept)
        to_insert, revive = [], []
        kept.sort(key=lambda c: (c["cycle"].id, c["partner_id"], c["trigger_date"]))
        for candidate in kept:
            cycle = candidate["cycle"]
            pair = (cycle.id, candidate["partner_id"])
            known = history["sources"].get(self._optical_key(candidate))
            if known:
                if known["revivable"]:
                    revive.append((known["id"], candidate))
                else:
                    result["existing"] += 1
                    result["known"].append(known["id"])
                continue
            dates = history["dates"][pair]
            if dates and cycle.reentry_policy == "never":
                result["reentry"] += 1
                continue
            if cycle.reentry_policy == "days" and any(
                abs((candidate["trigger_date"] - date).days) < cycle.reentry_days
                for date in dates
            ):
                result["reentry"] += 1
                continue
            dates.append(candidate["trigger_date"])
            to_insert.append(candidate)
        if dry_run:
            items = [(None, c) for c in to_insert] + revive
            result["plan"] = [row[2:] for row in self._optical_plan(items, now)]
            result["enrollments"] = [None] * len(items)
            return result
        inserted = self._optical_insert(to_insert, now)
        if revive:
            self._optical_revive(revive, now)
        items = inserted + revive
        plan = self._optical_plan(items, now)
        self.env["optical.cycle.execution"]._optical_insert_plan(plan, now)
        if revive:
            # steps already sent before the reset stay sent (never twice): a
            # revived enrollment may have nothing left
            self._optical_close_finished(
                [enrollment_id for enrollment_id, _c in revive]
            )
        result["plan"] = [row[2:] for row in plan]
        result["enrollments"] = [enrollment_id for enrollment_id, _c in items]
        return result

    @api.model
    def _optical_history(self, candidates):
        """Existing enrollments of the candidates' (cycle, customer) pairs and of
        their source documents (``sources``, by :meth:`_optical_key`)."""
        self.flush_model()
        self.env["optical.cycle.execution"].flush_model(["state", "reason"])
        cycles = list({c["cycle"].id for c in candidates})
        partners = list({c["partner_id"] for c in candidates})
        refs = list({c["source_ref"] for c in candidates})
        rows = self.env.execute_query(
            SQL(
                """
                SELECT en.id, en.cycle_id, en.partner_id, en.source_ref,
                       COALESCE(en.source_key, ''), en.trigger_date, en.stop_reason,
                       (en.state = 'stopped' AND en.stop_reason = ANY(%(revivable)s))
                       OR EXISTS (SELECT 1 FROM optical_cycle_execution x
                                   WHERE x.enrollment_id = en.id
                                     AND x.state = 'cancelled'
                                     AND x.reason = ANY(%(revivable)s))
                  FROM optical_cycle_enrollment en
                 WHERE en.cycle_id = ANY(%(cycles)s)
                   AND (en.partner_id = ANY(%(partners)s)
                        -- the source enrolled for another customer (changed in draft)
                        OR en.source_ref = ANY(%(refs)s))
                """,
                cycles=cycles,
                partners=partners,
                refs=refs,
                revivable=list(REVIVABLE_REASONS),
            )
        )
        sources = {}
        dates = defaultdict(list)
        for row in rows:
            enrollment_id, cycle_id, partner_id, ref, key, date, reason, revivable = row
            sources[(cycle_id, ref, key, partner_id)] = {
                "id": enrollment_id,
                "revivable": revivable,
            }
            if reason not in VOID_REASONS:
                dates[(cycle_id, partner_id)].append(date)
        return {"sources": sources, "dates": dates}

    @api.model
    def _optical_insert(self, candidates, now):
        """INSERT ... ON CONFLICT DO NOTHING: [(enrollment_id, candidate)]."""
        if not candidates:
            return []
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, 'running', %s, %s, %s, %s, %s, %s)",
                c["cycle"].id,
                c["cycle"].company_id.id,
                c["partner_id"],
                c["source_ref"],
                c["source_key"] or None,
                c["move_id"] or None,
                c["trigger_date"],
                c["cycle"].reentry_policy == "never",
                c["watch_categories"] or None,
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
            for c in candidates
        )
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO optical_cycle_enrollment
                    (cycle_id, company_id, partner_id, source_ref, source_key, move_id,
                     trigger_date, state, reentry_once, watch_categories,
                     create_uid, create_date, write_uid, write_date)
                VALUES %s
                ON CONFLICT DO NOTHING
                RETURNING id, cycle_id, source_ref, COALESCE(source_key, ''), partner_id
                """,
                values,
            )
        )
        by_key = {self._optical_key(c): c for c in candidates}
        self.invalidate_model()
        return [
            (enrollment_id, by_key[(cycle_id, ref, key, partner_id)])
            for enrollment_id, cycle_id, ref, key, partner_id in rows
        ]

    @api.model
    def _optical_key(self, candidate):
        """What identifies an enrollment: cycle, source document (and date, for
        date-based triggers) and customer."""
        return (
            candidate["cycle"].id,
            candidate["source_ref"],
            candidate["source_key"] or "",
            candidate["partner_id"],
        )

    @api.model
    def _optical_revive(self, items, now):
        """Enrollments stopped because their document was reset or changed run
        again, from the document as it is now (its date, its lines).

        :param items: ``[(enrollment_id, candidate)]``
        """
        values = SQL(", ").join(
            SQL(
                "(%s, %s::date, %s)",
                enrollment_id,
                candidate["trigger_date"],
                candidate["watch_categories"] or None,
            )
            for enrollment_id, candidate in items
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_enrollment en
                   SET state = 'running', stop_reason = NULL, stop_date = NULL,
                       trigger_date = v.trigger_date, watch_categories = v.watch,
                       write_date = %s, write_uid = %s
                  FROM (VALUES %s) AS v(id, trigger_date, watch)
                 WHERE en.id = v.id
                """,
                now,
                self.env.uid,
                values,
            )
        )
        self.invalidate_model()

    @api.model
    def _optical_plan(self, items, now):
        """When each step of each enrollment goes out.

        :param items: ``[(enrollment_id, candidate)]``
        :return: ``[(enrollment_id, candidate, cycle_id, step_id, planned_at,
            scheduled_at, state, reason)]``: ``planned_at`` is the step's date by
            its delay, ``scheduled_at`` the same moved into the shop's send window;
            a step past by more than the cycle's tolerance (or, for a sale
            another system recorded, on a day already past) is
            ``skipped``/``late``, a more recent past one goes at the next
            opening.
        """
        Step = self.env["optical.cycle.step"]
        rows = []
        wanted = defaultdict(list)  # company -> [row index]
        zones = {}
        steps_of = {}
        for enrollment_id, candidate in items:
            cycle = candidate["cycle"]
            if cycle.company_id not in zones:
                zones[cycle.company_id] = cycle._optical_tz()
            tz = zones[cycle.company_id]
            if cycle not in steps_of:
                steps_of[cycle] = cycle.step_ids.sorted(lambda s: (s.sequence, s.id))
            trigger_at_local = (
                pytz.utc.localize(candidate["trigger_at"])
                .astimezone(tz)
                .replace(tzinfo=None)
                if candidate.get("trigger_at")
                else None
            )
            # a step past by more than the cycle's tolerance is late; a sale that
            # another system recorded (import, API) never sends for a past day
            cutoff = now - dt.timedelta(days=cycle.late_tolerance_days)
            if candidate.get("skip_past_days"):
                cutoff = max(cutoff, self._optical_start_of_day(tz, now))
            previous = None
            for step in steps_of[cycle]:
                local = step._optical_due_local(
                    candidate["trigger_date"],
                    trigger_at_local,
                    previous,
                    cycle.send_hour,
                )
                previous = local
                planned = Step._optical_localize(tz, local)
                if planned < cutoff:
                    rows.append(
                        [
                            enrollment_id,
                            candidate,
                            cycle.id,
                            step.id,
                            planned,
                            planned,
                            "skipped",
                            "late",
                        ]
                    )
                    continue
                rows.append(
                    [
                        enrollment_id,
                        candidate,
                        cycle.id,
                        step.id,
                        planned,
                        max(planned, now),
                        "scheduled",
                        None,
                    ]
                )
                wanted[cycle.company_id].append(len(rows) - 1)
        for company, indexes in wanted.items():
            slots = self._optical_send_slots(company, [rows[i][5] for i in indexes])
            for index, slot in zip(indexes, slots, strict=True):
                if slot:
                    rows[index][5] = slot
        return [tuple(row) for row in rows]

    @api.model
    def _optical_start_of_day(self, tz, now):
        """Start of the local day of ``now`` (naive UTC) in ``tz``, naive UTC."""
        local = pytz.utc.localize(now).astimezone(tz)
        start = tz.localize(dt.datetime.combine(local.date(), dt.time()))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _optical_send_slots(self, company, datetimes):
        """``optical.contact.policy._optical_next_send_slots`` with a short-lived
        memo (steps of a day's sales share their datetimes), and split so that
        no call spans more than a few weeks of calendar."""
        calendar = company.sudo()._optical_send_calendar()
        base_key = (
            self.env.cr.dbname,
            company.id,
            calendar.id,
            calendar.write_date,
            company.optical_skip_public_holidays,
        )
        clock = time.monotonic()
        result = {}
        missing = []
        for when in set(datetimes):
            hit = _SLOT_CACHE.get(base_key + (when,))
            if hit and clock - hit[1] < _SLOT_CACHE_TTL:
                result[when] = hit[0]
            else:
                missing.append(when)
        if missing:
            if len(_SLOT_CACHE) > _SLOT_CACHE_MAX:
                _SLOT_CACHE.clear()
            Policy = self.env["optical.contact.policy"]
            missing.sort()
            group = [missing[0]]
            groups = [group]
            for when in missing[1:]:
                if when - group[0] > dt.timedelta(days=14):
                    group = [when]
                    groups.append(group)
                else:
                    group.append(when)
            for group in groups:
                for when, slot in zip(
                    group, Policy._optical_next_send_slots(company, group), strict=True
                ):
                    result[when] = slot
                    _SLOT_CACHE[base_key + (when,)] = (slot, clock)
        return [result[when] for when in datetimes]

    # ------------------------------------------------------------------ state
    @api.model
    def _optical_close_finished(self, enrollment_ids):
        """Running enrollments with nothing left to send are done."""
        if not enrollment_ids:
            return
        self.env["optical.cycle.execution"].flush_model(["state"])
        # two plain queries: a NOT EXISTS here gets bad plans on fresh statistics
        pending = {
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT enrollment_id FROM optical_cycle_execution "
                    "WHERE enrollment_id = ANY(%s) AND state = 'scheduled'",
                    list(enrollment_ids),
                )
            )
        }
        finished = [i for i in set(enrollment_ids) if i not in pending]
        if not finished:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE optical_cycle_enrollment SET state = 'done', write_date = %s
                 WHERE id = ANY(%s) AND state = 'running'
                """,
                fields.Datetime.now(),
                finished,
            )
        )
        self.invalidate_model(["state"])

    @api.model
    def _optical_stop(self, enrollment_reasons):
        """Stop enrollments: ``{enrollment_id: reason}``; their pending steps are
        cancelled with the same reason."""
        by_reason = defaultdict(list)
        for enrollment_id, reason in enrollment_reasons.items():
            by_reason[reason].append(enrollment_id)
        now = fields.Datetime.now()
        self.env["optical.cycle.execution"].flush_model()
        for reason, ids in by_reason.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_execution
                       SET state = 'cancelled', reason = %(reason)s,
                           write_date = %(now)s, write_uid = %(uid)s
                     WHERE enrollment_id = ANY(%(ids)s) AND state = 'scheduled'
                    """,
                    reason=reason,
                    now=now,
                    uid=self.env.uid,
                    ids=ids,
                )
            )
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_enrollment
                       SET state = 'stopped', stop_reason = %(reason)s,
                           stop_date = %(now)s, write_date = %(now)s,
                           reentry_once = reentry_once AND NOT %(void)s
                     WHERE id = ANY(%(ids)s) AND state != 'stopped'
                    """,
                    reason=reason,
                    now=now,
                    ids=ids,
                    void=reason in VOID_REASONS,
                )
            )
        self.invalidate_model()
        self.env["optical.cycle.execution"].invalidate_model()

    @api.model
    def _optical_stop_if_empty(self, enrollment_reasons):
        """After step-level exits (bought again): an enrollment with nothing left
        is stopped with that reason."""
        by_reason = defaultdict(list)
        for enrollment_id, reason in enrollment_reasons.items():
            by_reason[reason].append(enrollment_id)
        now = fields.Datetime.now()
        self.env["optical.cycle.execution"].flush_model(["state"])
        for reason, ids in by_reason.items():
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE optical_cycle_enrollment en
                       SET state = 'stopped', stop_reason = %s, stop_date = %s,
                           write_date = %s
                     WHERE en.id = ANY(%s) AND en.state = 'running'
                       AND NOT EXISTS (SELECT 1 FROM optical_cycle_execution x
                                        WHERE x.enrollment_id = en.id
                                          AND x.state = 'scheduled')
                    """,
                    reason,
                    now,
                    now,
                    ids,
                )
            )
        self.invalidate_model()

    @api.model
    def _optical_commit_if_cron(self):
        """Commit at a cron batch boundary (never in tests)."""
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit
