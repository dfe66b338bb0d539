"""The SMTP adapter against a local SMTP sink (stdlib, in the test): what arrives, refusals and a
server that is not there become EmailError; the job keeps a refused e-mail and sends it next run."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from sqlalchemy import select

from support import LiveServer, Market
from support_cs.smtp_sink import SmtpSink
from support_cs.support_world import make_world, open_conv, say, seller_order
from yellowcart.db import utcnow
from yellowcart.support.email import EmailError, Mail, SmtpEmailAdapter
from yellowcart.support.models import Email


def test_smtp_adapter_delivers_and_reports_failures() -> None:
    with SmtpSink() as sink:
        adapter = SmtpEmailAdapter(host=sink.host, port=sink.port, sender="yellowcart <cs@yc.test>", password="s3cret")
        adapter.send(Mail(to="ada@test.example", subject="New message", body="Sign in to read it.\n.\nend"))
        [got] = sink.received
        assert got.recipients == ["ada@test.example"] and got.message["Subject"] == "New message"
        assert got.message["From"] == "yellowcart <cs@yc.test>"
        assert got.message.get_payload().replace("\r\n", "\n") == "Sign in to read it.\n.\nend\n"  # dot-stuffed
        assert "s3cret" not in repr(adapter)
        sink.refuse = True
        with pytest.raises(EmailError):
            adapter.send(Mail(to="ada@test.example", subject="x", body="y"))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EmailError) as failed:
        SmtpEmailAdapter(host="127.0.0.1", port=port, sender="cs@yc.test", timeout=2).send(
            Mail("a@b.example", "x", "y")
        )
    assert "a@b.example" not in str(failed.value)  # addresses stay out of errors


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def test_refused_mail_is_retried(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        say(c, open_conv(c, order_id)["id"], "hello?")
    now = utcnow()
    with SmtpSink(refuse=True) as sink:
        server.container.support.email = SmtpEmailAdapter(host=sink.host, port=sink.port, sender="cs@yc.test")
        first = server.container.support.run_jobs(now + dt.timedelta(minutes=20))
        assert first.emails_queued == 2 and first.emails_sent == 0
        with market.db.transaction() as s:
            rows = s.execute(select(Email.status, Email.attempts, Email.last_error)).all()
        assert [(st.value, n) for st, n, _ in rows] == [("pending", 1), ("pending", 1)]
        assert all("refused" in (err or "") for _, _, err in rows)
        sink.refuse = False
        again = server.container.support.run_jobs(now + dt.timedelta(minutes=21))
        assert again.emails_queued == 0 and again.emails_sent == 2 and len(sink.received) == 2
