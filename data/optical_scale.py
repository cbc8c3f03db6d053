"""Scale data for benchmarks: customers, consents and invoices by SQL bulk inserts.

Plain SQL on an installed optical_crm database (a cursor is enough): tens of
thousands of rows per second, no ORM. Rows are tagged (``res_partner.ref``) so a
benchmark can select exactly what it generated.
"""

CATEGORIES = ("spectacles", "sunglasses", "contact_lens", "frame", "lens_care")


def insert_customers(cr, count, *, tag, company_id, first=0, consent_share=0.95):
    """``count`` people with a valid Italian mobile number (E.164), an email, a
    birthdate (1940-2019), eye exam dates in shop ``company_id`` and, for
    ``consent_share`` of them, a granted SMS and email marketing consent. Returns
    the new partner ids."""
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        """
        INSERT INTO res_partner
               (name, complete_name, ref, mobile, phone_sanitized, email,
                email_normalized, lang, active, type, is_company, partner_share,
                autopost_bills, optical_birthdate, optical_last_exam_date,
                optical_next_exam_date, create_date, write_date, create_uid,
                write_uid)
        SELECT 'Cliente ' || g, 'Cliente ' || g, %(tag)s,
               '+39 333 ' || lpad(g::text, 7, '0'), '+39333' || lpad(g::text, 7, '0'),
               'cliente' || g || '@example.it', 'cliente' || g || '@example.it',
               'it_IT', TRUE, 'contact', FALSE, TRUE, 'ask',
               DATE '1940-01-01' + (random() * 29000)::int,
               -- the profile is per shop (company-dependent jsonb columns)
               jsonb_build_object(%(company)s, exam),
               jsonb_build_object(%(company)s, exam + 365), now(), now(), 1, 1
          FROM (SELECT g, DATE '2024-01-01' + (random() * 730)::int AS exam
                  FROM generate_series(%(first)s, %(last)s) g) s
        RETURNING id
        """,
        {"tag": tag, "first": first, "last": first + count - 1, "company": company_id},
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids]
    )
    cr.execute(
        """
        INSERT INTO optical_consent
               (partner_id, channel, purpose, granted, date, source, company_id,
                user_id, create_date, write_date, create_uid, write_uid)
        SELECT p, c, 'marketing', TRUE, now() - interval '30 days', 'import',
               %(company)s, 1, now(), now(), 1, 1
          FROM unnest(%(ids)s::int[]) p, unnest(ARRAY['sms', 'email']) c
         WHERE random() < %(share)s
        """,
        {"ids": ids, "company": company_id, "share": consent_share},
    )
    return ids


def insert_invoices(cr, partner_ids, *, company_id, share=0.6):
    """One posted customer invoice (one product line of a random optical
    category) in the last three years for ``share`` of the partners."""
    cr.execute(
        "SELECT id, default_account_id FROM account_journal "
        "WHERE type = 'sale' AND company_id = %s ORDER BY id LIMIT 1",
        [company_id],
    )
    [(journal_id, account_id)] = cr.fetchall()
    cr.execute("SELECT currency_id FROM res_company WHERE id = %s", [company_id])
    [(currency_id,)] = cr.fetchall()
    cr.execute(
        """
        WITH buyers AS (
            SELECT p, CURRENT_DATE - (random() * 1095)::int AS day,
                   (%(categories)s::varchar[])[1 + floor(random() * %(n)s)::int]
                       AS category
              FROM unnest(%(ids)s::int[]) p
             WHERE random() < %(share)s
        ), moves AS (
            INSERT INTO account_move
                   (name, journal_id, currency_id, company_id, date, invoice_date,
                    move_type, state, auto_post, partner_id,
                    commercial_partner_id, create_date, write_date, create_uid,
                    write_uid)
            SELECT 'BENCH/' || p, %(journal)s, %(currency)s, %(company)s, day, day,
                   'out_invoice', 'posted', 'no', p, p, now(), now(), 1, 1
              FROM buyers
            RETURNING id, partner_id, date
        )
        INSERT INTO account_move_line
               (move_id, account_id, currency_id, company_id, display_type,
                partner_id, date, parent_state, optical_category, create_date,
                write_date, create_uid, write_uid)
        SELECT m.id, %(account)s, %(currency)s, %(company)s, 'product',
               m.partner_id, m.date, 'posted', b.category, now(), now(), 1, 1
          FROM moves m JOIN buyers b ON b.p = m.partner_id
        """,
        {
            "categories": list(CATEGORIES),
            "n": len(CATEGORIES),
            "ids": partner_ids,
            "share": share,
            "journal": journal_id,
            "account": account_id,
            "currency": currency_id,
            "company": company_id,
        },
    )
    return cr.rowcount


def insert_due_executions(cr, partner_ids, *, company_id, cycle_id, step_id):
    """Enroll ``partner_ids`` in ``cycle_id`` with one execution of ``step_id``
    each, due a minute ago (cycle benchmarks)."""
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
    return cr.rowcount
