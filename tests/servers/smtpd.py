#!/usr/bin/env python3
"""smtpd.py - a real SMTP server on 127.0.0.1 for esc's tests (aiosmtpd), with faults on demand.

    smtpd.py DIR [--tls] [--require-tls] [--auth USER:PASS]

Listens on a free port of 127.0.0.1 and keeps everything in DIR:

  DIR/port            the port number, written (atomically) once it listens
  DIR/messages.jsonl  one JSON object per message accepted:
                        {"n": 1, "mail_from": "a@x", "rcpt_tos": ["b@y"],
                         "data": "Date: ...\\r\\n...", "tls": false, "auth": null}
                      "data" is the message as received (UTF-8, bad bytes
                      replaced); "tls": whether STARTTLS was in force; "auth":
                      the login name used, or null
  DIR/N.eml           message N, byte for byte
  DIR/plan.jsonl      the planned faults, one JSON object per line, read at each
                      command; the first rule for the command is used:
                        "stage"   "mail", "rcpt" or "data" (default "data")
                        "reply"   the reply instead of accepting:
                                  "451 4.3.0 try again later", "550 5.1.1 no such user"
                        "fault"   "hang": reply after "delay" seconds (default 60)
                                  "drop": close the connection without a reply
                        "times"   use the rule this many times, then drop it;
                                  absent: for ever
                      The server rewrites the file as it uses up rules with "times".

  --tls               offer STARTTLS with a self-signed certificate for 127.0.0.1,
                      made at start with openssl(1) as DIR/cert.pem (a client
                      trusts it as its CA file) and DIR/key.pem
  --require-tls       refuse mail before STARTTLS (530)
  --auth USER:PASS    offer AUTH PLAIN/LOGIN and accept only this login (over
                      plain text too: the tests run on the loopback)

Example:
    echo '{"stage":"data","reply":"451 4.3.0 try again later","times":2}' >> DIR/plan.jsonl
"""
import asyncio
import json
import os
import ssl
import subprocess
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DIR = None
COUNT = [0]


def take_rule(stage):
    plan = os.path.join(DIR, "plan.jsonl")
    try:
        with open(plan, encoding="utf-8") as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        return {}
    for i, l in enumerate(lines):
        r = json.loads(l)
        if r.get("stage", "data") != stage:
            continue
        if "times" in r:
            left = dict(r, times=r["times"] - 1)
            if left["times"] > 0:
                lines[i] = json.dumps(left)
            else:
                del lines[i]
            tmp = plan + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write("".join(x + "\n" for x in lines))
            os.replace(tmp, plan)
        return r
    return {}


async def fault(server, stage):
    """The planned reply for this stage, or None to go on as usual."""
    r = take_rule(stage)
    if r.get("fault") == "hang":
        await asyncio.sleep(r.get("delay", 60))
    elif r.get("fault") == "drop":
        server.transport.abort()
        return "421 4.3.2 closing"
    return r.get("reply")


class Handler:
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = await fault(server, "mail")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = await fault(server, "rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = await fault(server, "data")
        if reply:
            return reply
        COUNT[0] += 1
        n = COUNT[0]
        data = envelope.original_content or envelope.content
        with open(os.path.join(DIR, "%d.eml" % n), "wb") as f:
            f.write(data)
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        rec = {"n": n, "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
               "data": data.decode("utf-8", "replace"), "tls": session.ssl is not None,
               "auth": login}
        with open(os.path.join(DIR, "messages.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        return "250 2.0.0 accepted as message %d" % n


def make_cert():
    cert, key = os.path.join(DIR, "cert.pem"), os.path.join(DIR, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


async def serve(args):
    loop = asyncio.get_running_loop()
    kw = {"hostname": "esc-test", "loop": loop}
    if "--tls" in args:
        kw["tls_context"] = make_cert()
    if "--require-tls" in args:
        kw["require_starttls"] = True
    if "--auth" in args:
        user, _, password = args[args.index("--auth") + 1].partition(":")

        def check(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and
                  data.login == user.encode() and data.password == password.encode())
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
        kw["authenticator"] = check
        kw["auth_require_tls"] = False
    handler = Handler()
    srv = await loop.create_server(lambda: SMTP(handler, **kw), "127.0.0.1", 0)
    tmp = os.path.join(DIR, "port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.sockets[0].getsockname()[1])
    os.replace(tmp, os.path.join(DIR, "port"))
    await srv.serve_forever()


def main():
    global DIR
    if len(sys.argv) < 2:
        sys.exit("usage: smtpd.py DIR [--tls] [--require-tls] [--auth USER:PASS]")
    DIR = sys.argv[1]
    try:
        asyncio.run(serve(sys.argv[2:]))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
