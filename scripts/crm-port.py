#!/usr/bin/env python3
"""crm-port.py DB < journey.jsonl -- what a team would write instead of crm-track.

A plain Python loop over the same input, for scripts/bench: json.loads each
line, check the type and the customer, upsert contacts and keep their
consent changes, insert journey events (a repeat id is ignored), stamp the
recommendation an upsell event names, commit every 10,000 lines, and print
each line back with its row id. It writes into a store crm-track made, so
both fill the same schema with the same indexes. No E.164, e-mail or time
zone checks, no time parsing beyond fromisoformat: it does less than
crm-track does.
"""
import json
import sqlite3
import sys
from datetime import datetime

TYPES = {"intake_submitted", "session_started", "session_completed", "summary_viewed",
         "upsell_shown", "upsell_clicked", "upsell_dismissed", "checkout_started",
         "checkout_completed", "waiver_accepted"}
STAMP = {"upsell_shown": "shown_at", "upsell_clicked": "clicked_at",
         "upsell_dismissed": "dismissed_at", "checkout_completed": "purchased_at"}


def ts(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    now = int(datetime.now().timestamp())
    out = sys.stdout
    db.execute("BEGIN")
    n = bad = 0
    for lineno, line in enumerate(sys.stdin, 1):
        try:
            rec = json.loads(line)
            kind, cust = rec.get("type"), rec.get("customer")
            if not cust or (kind != "contact" and kind not in TYPES):
                raise ValueError("bad type or customer")
            at = ts(rec["at"])
        except (ValueError, KeyError, TypeError) as e:
            print("crm-port.py: line %d: %s" % (lineno, e), file=sys.stderr)
            bad += 1
            continue
        if kind == "contact":
            c = rec.get("consent") or {}
            cur = db.execute(
                "INSERT INTO contacts (customer_id, name, email, phone, timezone, consent_sms,"
                " consent_email, consent_calls, consented_at, source, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (customer_id) DO UPDATE SET"
                " name = excluded.name, email = excluded.email, phone = excluded.phone,"
                " updated_at = excluded.updated_at RETURNING id",
                (cust, rec.get("name"), rec.get("email"), rec.get("phone"), rec.get("timezone"),
                 int(bool(c.get("sms"))), int(bool(c.get("email"))), int(bool(c.get("calls"))),
                 at, rec.get("source"), at, at))
            cid = cur.fetchone()[0]
            for ch in ("sms", "email", "calls"):
                if ch in c:
                    db.execute("INSERT OR IGNORE INTO consent_changes (contact_id, channel, granted,"
                               " at, logged_at) VALUES (?,?,?,?,?)",
                               (cid, ch, int(bool(c[ch])), at, now))
            rec["crm"] = {"kind": "contact", "id": cid}
        else:
            rid = None
            if rec.get("recommendation") and kind in STAMP:
                row = db.execute("SELECT id FROM recommendations WHERE session_id = ? AND type = ?"
                                 " AND customer_id = ?",
                                 (rec.get("session"), rec["recommendation"], cust)).fetchone()
                if row:
                    rid = row[0]
                    col = STAMP[kind]
                    db.execute("UPDATE recommendations SET %s = coalesce(%s, ?) WHERE id = ?"
                               % (col, col), (at, rid))
            meta = rec.get("metadata")
            cur = db.execute(
                "INSERT OR IGNORE INTO interactions (event_id, customer_id, type, session_id,"
                " recommendation_id, amount_cents, at, metadata, logged_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (rec.get("id"), cust, kind, rec.get("session"), rid, rec.get("amount_cents"), at,
                 json.dumps(meta) if meta is not None else None, now))
            rec["crm"] = {"kind": "event", "id": cur.lastrowid, "new": cur.rowcount == 1}
        out.write(json.dumps(rec, separators=(",", ":")) + "\n")
        n += 1
        if n % 10000 == 0:
            db.execute("COMMIT")
            db.execute("BEGIN")
    db.execute("COMMIT")
    sys.exit(3 if bad else 0)


if __name__ == "__main__":
    main()
