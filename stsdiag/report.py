"""Group rule hits into findings, apply --select/--ignore, and guard against crashing rules.
Shared by parse-log and probe."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from stsdiag.models import Evidence, Finding, Hit, Severity
from stsdiag.redact import excerpt, redact
from stsdiag.rules.registry import BY_CODE, matches

MAX_EVIDENCE = 5


def counted(n: int, noun: str) -> str:
    """`1 line`, `2 lines`: a count and its noun (nouns that take an -s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def crashed(rule: str, exc: BaseException) -> Hit:
    """A crashing rule becomes an SD002 finding naming the rule, never a crash."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].name}:{tb[-1].lineno}" if tb else ""
    return Hit(
        "SD002",
        f"Rule {rule} crashed{where}: {type(exc).__name__}: {excerpt(str(exc), 160)}",
        (Evidence(excerpt=f"rule {rule}"),),
    )


def run_guarded(rule: str, fn: Callable[[], Iterable[Hit]]) -> list[Hit]:
    try:
        return list(fn())
    except Exception as exc:  # a rule bug must not kill the run
        return [crashed(rule, exc)]


@dataclass(slots=True)
class _Group:
    hit: Hit
    evidence: list[Evidence]
    count: int = 1

    def absorb(self, evidence: Iterable[Evidence], severity: Severity | None, count: int) -> None:
        """More hits of this group: count them, keep new evidence up to the cap, and the
        highest severity."""
        self.count += count
        for e in evidence:
            if len(self.evidence) < MAX_EVIDENCE and e not in self.evidence:
                self.evidence.append(e)
        sev = self.hit.severity
        if severity is not None and (sev is None or severity.rank > sev.rank):
            self.hit = replace(self.hit, severity=severity)


class Collector:
    """Accumulates hits grouped by (code, message); evidence capped, counts kept."""

    def __init__(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> None:
        self.select = select
        self.ignore = ignore
        self._groups: dict[tuple[str, str], _Group] = {}

    def wanted(self, code: str) -> bool:
        info = BY_CODE.get(code)
        if info is None:
            return True
        if self.select and not matches(info, self.select):
            return False
        return not (self.ignore and matches(info, self.ignore))

    def add(self, hits: Iterable[Hit]) -> None:
        for h in hits:
            if not self.wanted(h.code):
                continue
            g = self._groups.get((h.code, h.message))
            if g is None:
                self._groups[(h.code, h.message)] = _Group(h, list(h.evidence[:MAX_EVIDENCE]))
            else:
                g.absorb(h.evidence, h.severity, 1)

    def remap(self, line_of: Callable[[int], int]) -> None:
        """Every evidence line as `line_of` maps it (a wrapper's lines to the file's)."""
        for g in self._groups.values():
            g.evidence = [
                replace(e, line=line_of(e.line)) if e.line is not None else e for e in g.evidence
            ]

    def merge(self, later: Collector, lines: int) -> None:
        """Fold in the hits collected from the next part of a split log (its lines start
        after `lines`), as `add` would have grouped them in one go."""
        for key, g in later._groups.items():
            evidence = [
                replace(e, line=e.line + lines) if e.line is not None else e for e in g.evidence
            ]
            mine = self._groups.get(key)
            if mine is None:
                self._groups[key] = _Group(g.hit, evidence, g.count)
            else:
                mine.absorb(evidence, g.hit.severity, g.count)

    def findings(self) -> tuple[Finding, ...]:
        out: list[Finding] = []
        for (code, _), g in self._groups.items():
            info = BY_CODE[code]
            out.append(
                Finding(
                    code=code,
                    name=info.name,
                    severity=g.hit.severity or info.severity,
                    message=redact(g.hit.message),
                    fix=redact(g.hit.fix or info.fix),
                    evidence=tuple(replace(e, excerpt=redact(e.excerpt)) for e in g.evidence),
                    count=g.count,
                )
            )
        out.sort(
            key=lambda f: (-f.severity.rank, f.code, (f.evidence[0].line or 0) if f.evidence else 0)
        )
        return tuple(out)
