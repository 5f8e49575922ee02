"""Test helpers: where test servers come from, fresh databases and namespaces per test."""

from .servers import TestServers, provide_servers

__all__ = ["TestServers", "provide_servers"]
