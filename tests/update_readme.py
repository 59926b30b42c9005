"""Refresh the README's parse-log, endpoints and redact examples with real output (the blocks that
tests/test_readme.py checks). Review the diff before committing."""

from __future__ import annotations

from tests.helpers import ROOT
from tests.test_readme import _BLOCK, README, run_example


def main() -> None:
    text = _BLOCK.sub(lambda m: f"$ {m.group(1)}\n{run_example(m.group(1))}```", README)
    (ROOT / "README.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
