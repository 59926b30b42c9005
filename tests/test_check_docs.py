"""docs/ci.md works as pasted: its TOML parses as an expectations file, its YAML loads, every
`stsdiag check` command it shows (GitHub, GitLab, Kubernetes, systemd) is accepted by the
CLI (no usage error; the probe is replaced by a canned report) and its exit codes are ours."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from stsdiag import check
from stsdiag import probe as probe_mod
from stsdiag.cli import run
from stsdiag.enums import ExitStatus
from tests.test_check import healthy

DOC = Path(__file__).resolve().parent.parent / "docs" / "ci.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), flags=re.S)


def yaml_docs() -> list[Any]:
    import yaml  # PyYAML: installed with awscli and moto (dev dependencies)

    return [d for b in blocks("yaml") for d in yaml.safe_load_all(b)]


def _walk(node: Any) -> list[Any]:
    out = [node]
    if isinstance(node, dict):
        for v in node.values():
            out += _walk(v)
    elif isinstance(node, list):
        for v in node:
            out += _walk(v)
    return out


def commands() -> list[list[str]]:
    """Every `stsdiag check` invocation in the doc, as argv after `stsdiag`."""
    found: list[list[str]] = []
    for node in _walk(yaml_docs()):
        if isinstance(node, str) and node.startswith("stsdiag check "):
            found.append(shlex.split(node)[1:])
        if isinstance(node, dict) and node.get("args", [None])[0] == "check":
            found.append(list(node["args"]))
    for ini in blocks("ini"):
        for m in re.finditer(r"^ExecStart=\S*stsdiag (check .*)$", ini, flags=re.M):
            found.append(shlex.split(m.group(1)))
    return found


def configs() -> list[str]:
    texts = blocks("toml")
    texts += [
        n["stsdiag.toml"] for n in _walk(yaml_docs()) if isinstance(n, dict) and "stsdiag.toml" in n
    ]
    return texts


def test_every_toml_example_is_a_valid_expectations_file() -> None:
    texts = configs()
    assert len(texts) >= 2
    for text in texts:
        check.parse_toml(text, "docs", pyproject=False)


def test_every_documented_check_command_is_accepted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import time

    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(time, "sleep", lambda _: None)
    monkeypatch.setattr(probe_mod, "run_probe", lambda *_, **__: healthy())
    config = tmp_path / "stsdiag.toml"
    config.write_text(blocks("toml")[0])
    cmds = commands()
    assert len(cmds) == 4, cmds  # GitHub, GitLab, Kubernetes, systemd
    for argv in cmds:
        for opt, value in (("--config", str(config)), ("--output-file", str(tmp_path / "out"))):
            if opt in argv:
                argv[argv.index(opt) + 1] = value
        code = run(argv)
        _, err = capsys.readouterr()
        assert code in (ExitStatus.OK, ExitStatus.FINDINGS), (argv, code, err)


def test_documented_exit_codes_are_the_cli_s() -> None:
    table = DOC.read_text().split("**Exit status**", 1)[1].split("**Retries.**", 1)[0]
    codes = [int(c) for c in re.findall(r"^\| (\d+) \|", table, flags=re.M)]
    assert codes == [int(s) for s in ExitStatus]


def test_readme_carries_the_ci_docs() -> None:
    readme = (DOC.parent.parent / "README.md").read_text()
    assert DOC.read_text().rstrip() in readme
