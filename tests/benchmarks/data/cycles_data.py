"""Scale data for the cycle benchmarks: customers with a mobile number and SMS
consent, enrolled in a cycle with one SMS step due now, by SQL bulk inserts."""


def insert_due_customers(cr, company_id, cycle_id, step_id, count, prefix=1):
    """``count`` customers (+39 3xx numbers), consent, enrollment and one due
    execution each. Returns the partner ids."""
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, mobile, phone_sanitized, active,
                                 type, autopost_bills, lang, create_date, write_date)
        SELECT 'Cliente ' || g, 'Cliente ' || g,
               '+39 3' || lpad((%(prefix)s * 10000000 + g)::text, 9, '0'),
               '+393' || lpad((%(prefix)s * 10000000 + g)::text, 9, '0'),
               TRUE, 'contact', 'ask', 'it_IT', now(), now()
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """,
        {"count": count, "prefix": 20 + prefix},
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        INSERT INTO optical_consent (partner_id, channel, purpose, granted, date,
                                     source, company_id, create_date, write_date)
        SELECT id, 'sms', 'marketing', TRUE, now() - interval '1 day', 'import',
               NULL, now(), now()
          FROM unnest(%(ids)s) id
        """,
        {"ids": partner_ids},
    )
    cr.execute(
        """
        WITH en AS (
            INSERT INTO optical_cycle_enrollment
                (cycle_id, company_id, partner_id, source_ref, source_key,
                 trigger_date, state, create_date, write_date)
            SELECT %(cycle)s, %(company)s, id, 'res.partner,' || id, 'bench',
                   current_date, 'running', now(), now()
              FROM unnest(%(ids)s) id
            RETURNING id, partner_id
        )
        INSERT INTO optical_cycle_execution
            (enrollment_id, step_id, cycle_id, partner_id, company_id, channel,
             planned_at, scheduled_at, state, retry_count, defer_count,
             create_date, write_date)
        SELECT en.id, %(step)s, %(cycle)s, en.partner_id, %(company)s, 'sms',
               (now() AT TIME ZONE 'UTC') - interval '1 minute',
               (now() AT TIME ZONE 'UTC') - interval '1 minute', 'scheduled', 0, 0,
               now(), now()
          FROM en
        """,
        {"cycle": cycle_id, "company": company_id, "step": step_id, "ids": partner_ids},
    )
    return partner_ids
