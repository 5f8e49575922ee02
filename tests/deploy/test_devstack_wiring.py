"""`make up --port-base N`: the environment devstack gives the services points them at each other's chosen
ports (https with TLS). Built as devstack builds it; no process is started."""

import re

import pytest

from devstack.__main__ import service_wiring
from devstack.stack import SERVICES, service_env
from intake.settings import IntakeSettings

TLS = {"SUNMOON_TLS_CERT_FILE": "/x/cert.pem", "SUNMOON_TLS_KEY_FILE": "/x/key.pem", "SUNMOON_TLS_CA_FILE": "/x/ca.pem"}


def _env(port_base: int, tls: bool) -> dict[str, dict[str, str]]:
    wiring = service_wiring(port_base, tls=tls)
    return {name: service_env(name, port_base + i, database_url="postgresql://x/y", nats_url="nats://n:4222",
                              tls=TLS if tls else None, extra=wiring.get(name, {}))
            for i, name in enumerate(SERVICES)}


@pytest.mark.parametrize(("port_base", "tls"), [(8000, True), (9100, True), (9100, False)])
def test_intake_is_pointed_at_the_chosen_ports(port_base, tls, monkeypatch):
    for var in ("INTAKE_CLASSIFIER_URL", "INTAKE_NOTIFIER_URL", "INTAKE_WEATHER_URL", "INTAKE_DASHBOARD_URL",
                "NOTIFIER_PUBLIC_URL"):
        monkeypatch.delenv(var, raising=False)
    env = _env(port_base, tls)
    scheme = "https" if tls else "http"
    intake = env["intake"]
    assert intake["INTAKE_HTTP_PORT"] == str(port_base)
    assert intake["INTAKE_CLASSIFIER_URL"] == f"{scheme}://127.0.0.1:{port_base + 1}"
    assert intake["INTAKE_NOTIFIER_URL"] == f"{scheme}://127.0.0.1:{port_base + 2}"
    assert intake["INTAKE_WEATHER_URL"] == f"{scheme}://127.0.0.1:{port_base + 3}"
    assert intake["INTAKE_DASHBOARD_URL"] == f"{scheme}://127.0.0.1:{port_base + 4}/dashboard"
    assert env["notifier"]["NOTIFIER_PUBLIC_URL"] == f"{scheme}://127.0.0.1:{port_base + 2}"  # links in the SMS
    # intake reads them as its settings
    for key, value in intake.items():
        if key.startswith("INTAKE_"):
            monkeypatch.setenv(key, value)
    s = IntakeSettings()
    assert (s.classifier_url, s.notifier_url, s.weather_url, s.http_port) == (
        intake["INTAKE_CLASSIFIER_URL"], intake["INTAKE_NOTIFIER_URL"], intake["INTAKE_WEATHER_URL"], port_base)


def test_every_service_url_of_intake_is_wired():
    """A new ``*_url`` setting that points at one of our services (default 127.0.0.1:800N) must be wired too."""
    ours = {name for name, field in IntakeSettings.model_fields.items()
            if name.endswith("_url") and re.match(r"https?://127\.0\.0\.1:800\d", str(field.default or ""))}
    wired = {k.removeprefix("INTAKE_").lower() for k in service_wiring(8000, tls=True)["intake"]}
    assert ours and ours <= wired, f"not wired by devstack: {sorted(ours - wired)}"
