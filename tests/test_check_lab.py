"""End to end: the installed `stsdiag check` inside lab worlds. It passes in public-healthy
with the right expectations; in private-vpce (no region: the SDK would go global)
`--expect-endpoint regional` fails and nothing else, and passes with the region set; it fails
`--require-private` in public-healthy and `--max-clock-skew-s` in clock-skew. The JUnit
report validates against tests/data/junit.xsd, the GitHub annotations are checked line by
line, and the expectations file is read from the working directory."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.lab.spec import load_spec, world_names
from tests.probe_support import stsdiag_cmd as stsdiag

pytestmark = pytest.mark.lab

XSD = Path(__file__).parent / "data" / "junit.xsd"
ROLE = "arn:aws:iam::111122223333:role/demo-Role-A"
TIMEOUT = "2"


def check(
    world: Any, cwd: Path, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str, str]:
    env = {"GITHUB_ACTIONS": None, **(env or {})}
    t = time.monotonic()
    proc = world.run(
        [*stsdiag(), "check", "--timeout", TIMEOUT, *args], timeout=60, cwd=cwd, env=env
    )
    took = time.monotonic() - t
    assert took < 15, f"check took {took:.1f} s"
    return proc.returncode, proc.stdout, proc.stderr


def expectations(out: str) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in json.loads(out)["expectations"]}


def failed(out: str) -> list[str]:
    return [n for n, e in expectations(out).items() if not e["passed"]]


CHECK_WORLDS = [n for n in world_names() if load_spec(n).expect.get("check")]


@pytest.mark.parametrize("name", CHECK_WORLDS)
def test_check_gives_the_worlds_verdict(name: str, lab_pool: Any, tmp_path: Path) -> None:
    """A world's `[expect.check]`: `stsdiag check` with those options gives that exit status,
    fails exactly those expectations and says those things -- the verdict the probe's
    `[expect]` implies, so the two agree."""
    w = lab_pool.get(name)
    want = w.spec.expect["check"]
    code, out, err = check(w, tmp_path, "-o", "json", *want["args"])
    exp = expectations(out)
    assert sorted(failed(out)) == sorted(want.get("failed", [])), exp
    for key, text in want.get("message", {}).items():
        assert text in exp[key]["message"], exp[key]
    assert code == want["exit_status"], (exp, json.loads(out)["findings"], err)


def test_public_healthy_meets_the_right_expectations(lab_pool: Any, tmp_path: Path) -> None:
    w = lab_pool.get("public-healthy")
    code, out, err = check(
        w, tmp_path, "-o", "json",
        "--expect-account", "123456789012",
        "--expect-arn", "arn:aws:sts::123456789012:user/*",
        "--expect-region", "ap-northeast-3",
        "--expect-endpoint", "regional",
        "--max-latency-ms", "5000",
        "--role-arn", ROLE,
    )  # fmt: skip
    assert code == 0, (out, err)
    exp = expectations(out)
    assert list(exp) == ["expect-account", "expect-arn", "expect-region", "expect-endpoint",
                         "max-latency-ms", "max-clock-skew-s", "role-arn"]  # fmt: skip
    assert all(e["passed"] for e in exp.values()), exp
    assert exp["expect-endpoint"]["actual"] == "regional https://sts.ap-northeast-3.amazonaws.com"
    assert exp["role-arn"]["actual"] == "arn:aws:sts::111122223333:assumed-role/demo-Role-A/stsdiag"


def test_public_healthy_fails_require_private(lab_pool: Any, tmp_path: Path) -> None:
    w = lab_pool.get("public-healthy")
    code, out, _ = check(
        w, tmp_path, "-o", "json", "--require-private", "--expect-endpoint", "regional"
    )
    assert code == 1
    assert failed(out) == ["require-private"]
    e = expectations(out)["require-private"]
    assert e["actual"] == "public" and "198.51.100.23, 198.51.100.24" in e["message"]


def test_private_vpce_expect_endpoint_regional_fails_without_a_region(
    lab_pool: Any, tmp_path: Path
) -> None:
    w = lab_pool.get("private-vpce")
    code, out, _ = check(w, tmp_path, "-o", "json", "--expect-endpoint", "regional",
                         "--fail-on", "never")  # fmt: skip
    assert code == 1  # the expectation alone fails the run
    assert failed(out) == ["expect-endpoint"]
    e = expectations(out)["expect-endpoint"]
    assert e["actual"] == "global https://sts.amazonaws.com"
    assert "192.0.2.16 tcp" in e["message"]  # and it does not work either
    assert "export AWS_DEFAULT_REGION=ap-northeast-1" in e["fix"]


def test_private_vpce_with_the_region_is_regional_and_private(
    lab_pool: Any, tmp_path: Path
) -> None:
    w = lab_pool.get("private-vpce")
    # the global endpoint still times out from this private subnet, but nothing uses it:
    # a warning, so the default --fail-on error passes
    code, out, err = check(w, tmp_path, "-o", "json", "--region", "ap-northeast-1",
                           "--expect-endpoint", "regional",
                           "--require-private", "--expect-region", "ap-northeast-1")  # fmt: skip
    exp = expectations(out)
    assert [n for n, e in exp.items() if not e["passed"]] == [], exp
    assert exp["require-private"]["actual"] == "vpc-endpoint"
    assert exp["expect-endpoint"]["actual"] == (
        "regional via vpc-endpoint https://sts.ap-northeast-1.amazonaws.com"
    )
    assert code == 0, err


def test_clock_skew_fails_max_clock_skew(lab_pool: Any, tmp_path: Path) -> None:
    w = lab_pool.get("clock-skew")
    code, out, _ = check(
        w, tmp_path, "-o", "json", "--max-clock-skew-s", "60", "--fail-on", "never"
    )
    assert code == 1
    assert failed(out) == ["max-clock-skew-s"]
    e = expectations(out)["max-clock-skew-s"]
    assert abs(int(e["actual"].split()[0]) - 1200) <= 60 and "behind" in e["message"]
    code, out, _ = check(
        w, tmp_path, "-o", "json", "--max-clock-skew-s", "1500", "--fail-on", "never"
    )
    assert code == 0 and failed(out) == []


def test_junit_from_the_lab_is_valid(lab_pool: Any, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    import xmlschema

    w = lab_pool.get("private-vpce")
    report = tmp_path / "stsdiag.xml"
    code, out, err = check(w, tmp_path, "--expect-endpoint", "regional", "-o", "junit",
                           "--output-file", str(report))  # fmt: skip
    assert code == 1 and out == ""
    assert err.strip().startswith("stsdiag check:") and err.strip().endswith("exit 1")
    xml = report.read_text()
    xmlschema.XMLSchema(str(XSD)).validate(xml)
    root = ET.fromstring(xml)
    failures = {c.get("name"): c.find("failure") for c in root.iter("testcase")}
    assert failures["expect-endpoint regional"] is not None
    assert failures["max-clock-skew-s <= 60 s"] is None
    assert failures["192.0.2.16 tcp"] is not None  # one testcase per layer per address
    assert failures["10.0.1.10 sts"] is None and failures["10.0.2.10 https"] is None
    sd202 = failures["SD202 connect-timeout"]
    assert sd202 is not None and "fix: " in (sd202.text or "")


def test_github_annotations_from_the_lab(lab_pool: Any, tmp_path: Path) -> None:
    w = lab_pool.get("private-vpce")
    code, out, _ = check(w, tmp_path, "--expect-endpoint", "regional", "--quiet",
                           env={"GITHUB_ACTIONS": "true"})  # fmt: skip
    assert code == 1
    notes = [line for line in out.splitlines() if line.startswith("::")]
    titles = [n.split("::")[1] for n in notes]
    assert titles == [
        "error title=stsdiag check%3A expect-endpoint",
        "error title=stsdiag check%3A SD102 global-endpoint-used",
        "error title=stsdiag check%3A SD202 connect-timeout",
    ]
    for n in notes:
        message = n.split("::", 2)[2]
        assert "\n" not in message and "\r" not in message
        assert "%0Afix: " in message
    assert (
        notes[0]
        .split("::", 2)[2]
        .startswith("expected regional, got global https://sts.amazonaws.com")
    )
    # --quiet: before the annotations only the failure lines, no table
    body = out.split("\n::", 1)[0]
    assert body.startswith("FAIL  expect-endpoint") and "setting" not in body


def test_expectations_file_in_the_working_directory(lab_pool: Any, tmp_path: Path) -> None:
    w = lab_pool.get("public-healthy")
    (tmp_path / "stsdiag.toml").write_text(
        'expect-account = "123456789012"\n'
        'expect-region = "ap-northeast-1"\n'  # wrong on purpose: the world is in ap-northeast-3
        "require-private = true\n"
        "max-clock-skew-s = 30\n"
    )
    code, out, _ = check(w, tmp_path, "-o", "json")
    assert code == 1 and failed(out) == ["expect-region", "require-private"]
    assert expectations(out)["max-clock-skew-s"]["expected"] == "<= 30 s"
    code, out, _ = check(w, tmp_path, "-o", "json", "--expect-region", "ap-northeast-3",
                         "--no-require-private")  # fmt: skip
    assert code == 0 and failed(out) == []
    assert list(expectations(out)) == ["expect-account", "expect-region", "max-clock-skew-s"]
