"""Shared pytest configuration: the ``lab`` marker and the lab's world fixtures.

Lab tests need Linux network + mount namespaces (root, or unprivileged user
namespaces).  Where the lab cannot start they are skipped with the reason --
except when ``CI`` is set (``CI=true``, as ``.ci/run`` runs), where they fail
loudly: CI must never silently skip the lab.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.lab import World

# loopback servers, test PKI, fake resolver and clean-environment fixtures for probe tests
pytest_plugins = ("tests.probe_support",)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lab: end-to-end test inside a lab world (network namespaces; see tests/lab). "
        "Skipped where namespaces are unavailable, but fails when CI is set.",
    )


def require_lab() -> str:
    """Return the lab mode ("root"/"userns"); skip -- or fail under CI -- when unavailable."""
    from tests.lab import lab_mode

    mode, reason = lab_mode()
    if mode is None:
        message = f"lab unavailable: {reason}"
        if _in_ci():
            pytest.fail(
                f"{message} -- CI is set, so the lab must be able to start here", pytrace=False
            )
        pytest.skip(message)
    return mode


class WorldPool:
    """Starts each world at most once and stops them all at the end."""

    def __init__(self) -> None:
        self._worlds: dict[str, World] = {}

    def get(self, name: str) -> World:
        from tests.lab import World

        w = self._worlds.get(name)
        if w is None or not w.alive:
            w = World(name).start()
            self._worlds[name] = w
        return w

    def stop_all(self) -> None:
        while self._worlds:
            _, w = self._worlds.popitem()
            w.stop()


@pytest.fixture
def lab_world() -> Iterator[Callable[..., World]]:
    """Factory fixture: ``w = lab_world("private-vpce")`` starts a fresh world, stopped at teardown."""
    require_lab()
    from tests.lab import World

    started: list[World] = []

    def start(name: str, **kwargs: Any) -> World:
        w = World(name, **kwargs).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


@pytest.fixture(scope="session")
def lab_pool() -> Iterator[WorldPool]:
    """Session-wide pool of running worlds (``lab_pool.get(name)``), for tests that only observe."""
    require_lab()
    pool = WorldPool()
    yield pool
    pool.stop_all()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Belt and braces: no world outlives the test session.
    import sys

    lab = sys.modules.get("tests.lab.runtime")
    if lab is not None:
        lab.stop_all()
