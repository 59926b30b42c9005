"""The README's parse-log, endpoints and redact examples are real output: each `$ stsdiag ...` block
whose command reads only bundled files is run and must print exactly what the README shows."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(r"^\$ (stsdiag (?:parse-log|endpoints|redact) [^\n]+)\n(.*?)^```$", re.M | re.S)
EXAMPLES = _BLOCK.findall(README)


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 3


def run_example(command: str) -> str:
    """What the example's command prints (a `| head -N` or `| sed -n A,Bp` applied)."""
    args, _, pipe = command.partition(" | ")
    argv = shlex.split(args)
    out = subprocess.run(
        [sys.executable, "-m", "stsdiag", *argv[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    if pipe:
        m = re.fullmatch(r"head -(\d+)|sed -n (\d+),(\d+)p", pipe.strip())
        assert m, f"unsupported pipe in README example: {pipe}"
        lines = out.splitlines(keepends=True)
        if m.group(1):
            out = "".join(lines[: int(m.group(1))])
        else:
            out = "".join(lines[int(m.group(2)) - 1 : int(m.group(3))])
    return out


@pytest.mark.parametrize("command,shown", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_is_real_output(command: str, shown: str) -> None:
    assert run_example(command) == shown, "refresh with `python -m tests.update_readme`"
