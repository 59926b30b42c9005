"""Compare a client's observation (tests.lab.client) with a world file's ``[[check]]``."""

from __future__ import annotations

from typing import Any

from .spec import Check

SUBSTRING_FIELDS = {"message", "body", "issuer", "subject", "url_prefix", "debug"}
DEFAULT_TOLERANCE = {"date_offset": 30.0, "elapsed": 0.0}


def verify(check: Check, result: dict[str, Any]) -> list[str]:
    """Return the ways ``result`` differs from what ``check`` declares (empty: as declared)."""
    problems: list[str] = []
    outcome = result.get("outcome")
    if outcome != check.expect:
        detail = result.get("message") or result.get("error") or ""
        problems.append(f"outcome {outcome!r}, expected {check.expect!r} {detail}".strip())
    for key, want in check.expect_fields.items():
        if key.endswith("_tolerance"):
            continue
        if key.startswith("max_"):
            field = key[4:]
            got = result.get(field)
            if got is None or float(got) > float(want):
                problems.append(f"{field} {got!r} above {want!r}")
            continue
        if key.startswith("min_"):
            field = key[4:]
            got = result.get(field)
            if got is None or float(got) < float(want):
                problems.append(f"{field} {got!r} below {want!r}")
            continue
        got = result.get(key)
        if key in SUBSTRING_FIELDS:
            if not isinstance(got, str) or str(want) not in got:
                problems.append(f"{key} {got!r} does not contain {want!r}")
        elif (
            isinstance(want, (int, float))
            and not isinstance(want, bool)
            and key in DEFAULT_TOLERANCE
        ):
            tol = float(check.expect_fields.get(f"{key}_tolerance", DEFAULT_TOLERANCE[key]))
            if got is None or abs(float(got) - float(want)) > tol:
                problems.append(f"{key} {got!r}, expected {want!r} +/- {tol}")
        elif isinstance(want, list):
            if sorted(map(str, got or [])) != sorted(map(str, want)):
                problems.append(f"{key} {got!r}, expected {want!r}")
        elif got != want:
            problems.append(f"{key} {got!r}, expected {want!r}")
    return problems
