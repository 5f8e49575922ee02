import json

from sunmoon.crypto import Revealed
from sunmoon.logging import configure_logging, get_logger, mask_phones_in


def test_personal_data_never_reaches_a_log_line(capsys):
    configure_logging("test")
    log = get_logger()
    log.info("caller 010-1234-5678 called", phone="01099998888", complainant_name="김민수",
             nested={"name": "박지영", "note": "연락처 010 2222 3333"}, value=Revealed("비밀"))
    try:
        raise ValueError("bad number 01055556666")
    except ValueError:
        log.exception("failed")
    err = capsys.readouterr().err
    for secret in ("1234-5678", "99998888", "김민수", "박지영", "2222 3333", "55556666", "비밀"):
        assert secret not in err
    line = json.loads(err.splitlines()[0])
    assert line["event"] == "caller 010-****-5678 called" and line["phone"] == "[redacted]"


def test_mask_phones_in_text_keeps_other_numbers():
    assert mask_phones_in("사우동 123-4, 010-1234-5678") == "사우동 123-4, 010-****-5678"
