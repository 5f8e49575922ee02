"""Keys from mounted secret files (SUNMOON_DATA_KEYS_FILE / SUNMOON_BLIND_INDEX_KEY_FILE), and dev keys refused."""

import pytest

from sunmoon.crypto import KeyConfigError, KeyRing, load_keyring


def _files(tmp_path, ring: KeyRing, *, one_per_line: bool = False) -> dict[str, str]:
    env = ring.to_env()
    data = env["SUNMOON_DATA_KEYS"].replace(",", "\n") if one_per_line else env["SUNMOON_DATA_KEYS"]
    (tmp_path / "data-keys").write_text(data + "\n")  # a Secret's file often ends with a newline
    (tmp_path / "bidx").write_text(env["SUNMOON_BLIND_INDEX_KEY"] + "\n")
    return {"SUNMOON_DATA_KEYS_FILE": str(tmp_path / "data-keys"),
            "SUNMOON_BLIND_INDEX_KEY_FILE": str(tmp_path / "bidx")}


@pytest.mark.parametrize("one_per_line", [False, True])
def test_keys_from_files(tmp_path, one_per_line):
    ring = KeyRing.generate("k1").with_new_key("k2")
    loaded = load_keyring(_files(tmp_path, ring, one_per_line=one_per_line), allow_dev_keys=False)
    assert loaded == ring and loaded.active_key_id == "k2"


def test_file_and_variable_together_or_unreadable_are_refused(tmp_path):
    ring = KeyRing.generate("k1")
    env = _files(tmp_path, ring)
    with pytest.raises(KeyConfigError, match="not both"):
        load_keyring({**env, "SUNMOON_DATA_KEYS": ring.to_env()["SUNMOON_DATA_KEYS"]}, allow_dev_keys=False)
    with pytest.raises(KeyConfigError, match="cannot read"):
        load_keyring({**env, "SUNMOON_DATA_KEYS_FILE": str(tmp_path / "missing")}, allow_dev_keys=False)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(KeyConfigError, match="is empty"):
        load_keyring({**env, "SUNMOON_DATA_KEYS_FILE": str(tmp_path / "empty")}, allow_dev_keys=False)
    with pytest.raises(KeyConfigError, match="both"):  # half a configuration is not a configuration
        load_keyring({"SUNMOON_DATA_KEYS_FILE": env["SUNMOON_DATA_KEYS_FILE"]}, allow_dev_keys=False)


def test_production_refuses_dev_keys_even_when_a_dev_key_file_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNMOON_HOME", str(tmp_path))
    load_keyring({})  # development: a key file is generated in SUNMOON_HOME
    assert (tmp_path / "dev-keys.json").exists()
    with pytest.raises(KeyConfigError, match="SUNMOON_DATA_KEYS_FILE"):
        load_keyring({}, allow_dev_keys=False)


def test_service_images_refuse_dev_keys():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for service in ("intake", "notifier"):
        assert f"{service.upper()}_ALLOW_DEV_KEYS=false" in (root / "services" / service / "Dockerfile").read_text()
