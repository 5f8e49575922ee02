"""pytest fixtures for every test folder (loaded from the root conftest.py)."""

from __future__ import annotations

import os

import pytest

from .servers import TestServers, provide_servers
from .service import TEST_API_TOKENS, TEST_TOKENS

# Every service a test starts (in-process or as a process) accepts the test tokens, one per role
# (sunmoon.testing.service.TEST_TOKENS; auth_headers() gives the header).
os.environ.setdefault("SUNMOON_API_TOKENS", TEST_API_TOKENS)
os.environ.setdefault("INTAKE_SERVICE_TOKEN", TEST_TOKENS["service"])  # the desk's calls to other services


@pytest.fixture(scope="session")
def servers() -> TestServers:
    s = provide_servers()
    yield s
    s.close()


@pytest.fixture
def namespace(servers: TestServers) -> str:
    return servers.fresh_namespace()
