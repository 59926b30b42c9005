"""Refresh fixtures/expected/*.json from the current parser (`make snapshots`). Review the
git diff before committing: a snapshot is a claim about what stsdiag says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import EXPECTED, cases
from tests.test_fixtures import snapshot_of


def main() -> None:
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for c in cases():
        (EXPECTED / f"{c.name}.json").write_text(
            json.dumps(snapshot_of(c), indent=2, sort_keys=True) + "\n"
        )
        print(f"wrote {EXPECTED / (c.name + '.json')}")


if __name__ == "__main__":
    main()
