"""SD410 invalid-sts-request: STS refused the parameters of a call that grants a session.
The real fixture log glatest-cli-assume-role-duration-too-long (aws sts assume-role
--duration-seconds 43200, the stub answering real STS's ValidationError) triggers it;
the messages below are real STS's (AWS's docs and the pastes in tests/data/wild-6)."""

from __future__ import annotations

from stsdiag.rules.log import classify_error


def _hits(code: str, msg: str, operation: str, sts_call: bool = True) -> list[tuple[str, str]]:
    return [
        (h.code, h.fix or "")
        for h in classify_error(code, msg, operation, "us-east-1", (), sts_call=sts_call)
    ]


def test_role_chaining_limit_names_the_hour() -> None:
    hits = _hits(
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
        "AssumeRole",
    )
    assert [c for c, _ in hits] == ["SD410"]
    assert "3600" in hits[0][1] and "chaining" in hits[0][1]


def test_max_session_duration_names_the_role_setting() -> None:
    hits = _hits(
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        "AssumeRoleWithSAML",
    )
    assert [c for c, _ in hits] == ["SD410"]
    assert "--max-session-duration" in hits[0][1]


def test_session_name_constraint() -> None:
    hits = _hits(
        "ValidationError",
        "1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        "AssumeRole",
    )
    assert [c for c, _ in hits] == ["SD410"] and "2 to 64" in hits[0][1]


def test_other_services_validation_errors_are_not_sts_s() -> None:
    """Near misses: CloudFormation's ValidationError, and one of STS's on a call that grants
    nothing (GetCallerIdentity cannot have one), are no SD410."""
    assert _hits("ValidationError", "Stack with id demo does not exist", "DescribeStacks") == []
    assert _hits("ValidationError", "Stack with id demo does not exist", "CreateStack", False) == []
