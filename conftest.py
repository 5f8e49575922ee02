pytest_plugins = ["sunmoon.testing.fixtures"]
