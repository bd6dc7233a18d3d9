#!/usr/bin/env python3
"""seed000.py -- seed 000's paid-escalation rules as a plain Python filter.

The baseline scripts/bench compares esc-detect against: what a user would
write in a few minutes with the standard library. For each JSON line on
stdin: lowercase the "text", count personal / strategic / advanced indicator
phrases with `in`, decide whether to escalate (2+ indicators; business
mentorship context + personal language; knowledge-base miss + personal
language; never for a general how-to), add a "detect" object, write the line.

    python3 scripts/seed000.py < chats.jsonl > scored.jsonl
"""

import json
import sys

PERSONAL = [
    "my business", "my pricing", "my situation", "my prices", "my numbers",
    "my costs", "my margins", "my profit", "my revenue", "my clients",
    "my salon", "my brand", "in my case", "for my business",
]
STRATEGIC = [
    "strategy", "strategies", "audit", "restructure", "transform",
    "pricing structure", "business plan", "review my", "scale my",
    "grow my", "positioning",
]
ADVANCED = [
    "deep dive", "break down", "breakdown", "fix my", "what's wrong",
    "in detail", "in depth", "analyze my", "look at my",
]
HOWTO = [
    "how do i", "how do you", "how to", "how can i", "how long",
    "how often", "what's the best", "what is the best", "what are",
]
MENTORSHIP_CONTEXTS = ("business_mentorship", "mentorship")


def found(text, phrases):
    return [p for p in phrases if p in text]


def detect(rec):
    text = str(rec.get("text") or "").lower().replace("\u2019", "'")
    personal = found(text, PERSONAL)
    strategic = found(text, STRATEGIC)
    advanced = found(text, ADVANCED)
    howto = bool(found(text, HOWTO))
    total = len(personal) + len(strategic) + len(advanced)

    reasons = []
    if howto and not personal:
        pass  # a general how-to: the knowledge base answers it
    else:
        if total >= 2:
            if personal:
                reasons.append("personalized_help")
            if strategic:
                reasons.append("strategic")
            if advanced:
                reasons.append("advanced")
        if personal and rec.get("context") in MENTORSHIP_CONTEXTS:
            reasons.append("mentorship_context")
        if personal and rec.get("kb_miss"):
            reasons.append("kb_miss")

    return {
        "escalate": bool(reasons),
        "route": "paid" if reasons else "none",
        "reasons": reasons,
        "scores": {
            "personal": len(personal),
            "strategic": len(strategic),
            "advanced": len(advanced),
        },
    }


def main():
    bad = 0
    for n, line in enumerate(sys.stdin, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            sys.stderr.write("seed000.py: <stdin>:%d: %s\n" % (n, e))
            bad += 1
            continue
        if not isinstance(rec, dict):
            sys.stderr.write("seed000.py: <stdin>:%d: not an object\n" % n)
            bad += 1
            continue
        rec["detect"] = detect(rec)
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 3 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
