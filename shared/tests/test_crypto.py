import pytest

from sunmoon.crypto import (
    DecryptionError, FieldCipher, KeyConfigError, KeyRing, Revealed, load_keyring, mask_name, mask_phone,
    normalize_phone,
)


def _cipher() -> FieldCipher:
    return FieldCipher(KeyRing.generate("k1"))


def test_round_trip_and_fresh_nonce():
    c = _cipher()
    a = c.encrypt("010-1234-5678", table="complaints", column="phone", row_id="r1")
    b = c.encrypt("010-1234-5678", table="complaints", column="phone", row_id="r1")
    assert a != b  # a fresh nonce every time
    assert c.decrypt(a, table="complaints", column="phone", row_id="r1").reveal() == "010-1234-5678"
    assert b"010" not in a and b"5678" not in a


def test_tampering_fails_loudly():
    c = _cipher()
    blob = bytearray(c.encrypt("김민수", table="complaints", column="name", row_id="r1"))
    blob[-1] ^= 0x01
    with pytest.raises(DecryptionError, match="failed authentication"):
        c.decrypt(bytes(blob), table="complaints", column="name", row_id="r1")


@pytest.mark.parametrize("where", [
    {"table": "complaints", "column": "name", "row_id": "r2"},   # another row
    {"table": "complaints", "column": "phone", "row_id": "r1"},  # another column
    {"table": "workers", "column": "name", "row_id": "r1"},      # another table
])
def test_moved_ciphertext_does_not_decrypt(where):
    c = _cipher()
    blob = c.encrypt("김민수", table="complaints", column="name", row_id="r1")
    with pytest.raises(DecryptionError):
        c.decrypt(blob, **where)


def test_rotation_keeps_old_rows_readable_and_writes_with_new_key():
    old = KeyRing.generate("k1")
    blob = FieldCipher(old).encrypt("010-9876-5432", table="t", column="c", row_id=7)
    new = FieldCipher(old.with_new_key("k2"))
    assert new.decrypt(blob, table="t", column="c", row_id=7).reveal() == "010-9876-5432"
    assert new.needs_rotation(blob)
    fresh = new.encrypt("010-9876-5432", table="t", column="c", row_id=7)
    assert FieldCipher.key_id_of(fresh) == "k2" and not new.needs_rotation(fresh)
    # a ring that lost the old key says so
    without_old = FieldCipher(KeyRing((new.ring.keys[0],), old.blind_index_key))
    with pytest.raises(DecryptionError, match="not in the key ring"):
        without_old.decrypt(blob, table="t", column="c", row_id=7)


def test_blind_index_normalises_and_depends_on_key():
    c = _cipher()
    assert c.blind_index("010-1234-5678") == c.blind_index("+82 10 1234 5678") == c.blind_index("01012345678")
    assert c.blind_index("010-1234-5678") != _cipher().blind_index("010-1234-5678")
    assert normalize_phone("+82-10-1234-5678") == "01012345678"


def test_keys_from_environment_and_errors():
    env = KeyRing.generate("prod1").to_env()
    ring = load_keyring(env, allow_dev_keys=False)
    assert ring.active_key_id == "prod1"
    with pytest.raises(KeyConfigError, match="set SUNMOON_DATA_KEYS"):
        load_keyring({}, allow_dev_keys=False)
    with pytest.raises(KeyConfigError, match="both"):
        load_keyring({"SUNMOON_DATA_KEYS": env["SUNMOON_DATA_KEYS"]})


def test_dev_key_generated_once_outside_source_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNMOON_HOME", str(tmp_path))
    a = load_keyring({})
    b = load_keyring({})
    assert a == b and (tmp_path / "dev-keys.json").stat().st_mode & 0o077 == 0


def test_revealed_never_prints():
    v = Revealed("010-1234-5678")
    assert "1234" not in f"{v} {v!r}" and v.reveal() == "010-1234-5678"


def test_masks():
    assert mask_phone("01012345678") == "010-****-5678"
    assert mask_name("김민수") == "김*수" and mask_name("이준") == "이*" and mask_name("남궁민수") == "남**수"
