"""Dependencies of our own for the fault tests, one per test module, really stopped by the tests."""
from __future__ import annotations

import pytest

from tests.faults.dependencies import OwnPostgres, OwnRedis


@pytest.fixture(scope="module")
def own_redis():
    server = OwnRedis().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def own_postgres():
    server = OwnPostgres().start()
    yield server
    server.close()
