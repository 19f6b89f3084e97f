"""The `flow` fixture: staff users and a Flow driver for the engine tests."""

from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.engine.flow import Flow


@pytest.fixture
def flow(api: Api) -> Flow:
    api.user("staff", groups=("staff",))
    for name in ("ann", "bob", "cy"):
        api.user(name)
    return Flow(api)
