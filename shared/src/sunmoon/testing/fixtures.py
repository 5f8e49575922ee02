"""pytest fixtures for every test folder (loaded from the root conftest.py)."""

from __future__ import annotations

import pytest

from .servers import TestServers, provide_servers


@pytest.fixture(scope="session")
def servers() -> TestServers:
    s = provide_servers()
    yield s
    s.close()


@pytest.fixture
def namespace(servers: TestServers) -> str:
    return servers.fresh_namespace()
