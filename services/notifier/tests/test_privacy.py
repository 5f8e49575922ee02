"""No worker's phone number or name in clear anywhere in the database, the stream or the logs."""

import re

from notifier import demo_roster


def _needles():
    out = set()
    for e in demo_roster.ENTRIES:
        digits = re.sub(r"\D", "", e.phone)
        out |= {digits, e.phone, digits[3:], f"{digits[3:7]}-{digits[7:]}", e.name}
    return out


async def test_no_phone_number_or_name_in_clear_anywhere(service, capsys):
    await service.publish(service.dispatch_event())
    await service.publish(service.dispatch_event(type="other", urgency="low", callback_masked=None))
    await service.wait_sent(2)
    token = re.search(r"/ack/(\S+)$", await service.pool.fetchval("SELECT text FROM sms_messages LIMIT 1")).group(1)
    assert (await service.client.post(f"/ack/{token}")).status_code == 200
    await service.client.get("/api/v1/roster")
    await service.client.get("/api/v1/sms")
    await service.client.get("/api/v1/notifications")

    tables = [r["tablename"] for r in await service.pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    assert {"workers", "notifications", "sms_messages", "outbox", "inbox", "teams"} <= set(tables)
    dump = []
    for table in tables:
        for row in await service.pool.fetch(f'SELECT * FROM "{table}"'):
            for value in row.values():
                if isinstance(value, (bytes, bytearray)):
                    dump.append(bytes(value).decode("utf-8", "replace"))  # outbox bodies are JSON in bytea
                dump.append(str(value))
    dump_text = "\n".join(dump)

    for needle in _needles():
        assert needle not in dump_text, f"{needle!r} stored in clear"

    events = "\n".join(str(e) for _, e in await service.notifier_events())
    logs = capsys.readouterr()
    assert "sms sent" in logs.out + logs.err and "console SMS recorded" in logs.out + logs.err  # logs were seen
    for needle in _needles():
        assert needle not in events
        assert needle not in logs.out + logs.err, f"{needle!r} in the logs"
