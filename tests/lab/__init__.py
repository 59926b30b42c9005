"""The stsdiag lab: simulated AWS network worlds in isolated network namespaces.

A world is a fresh network + mount namespace with only ``lo`` (this kernel has
no ``dummy`` driver, so world addresses live on ``lo`` and dropping prefixes
are routed via ``lo`` with no local address), its own resolv.conf/hosts/trust
store, and real servers: DNS, moto's STS behind TLS from a lab "Amazon Root
CA 1", IMDSv2, and fault servers.  Nothing has a link to the host's network.

    from tests import lab
    with lab.world("private-vpce") as w:
        w.run(["aws", "sts", "get-caller-identity"], timeout=30)

Command line: ``python -m tests.lab --help``.  World files: ``tests/lab/worlds``.
"""

from typing import Any

# Lazy exports (PEP 562): the world's supervisor (``python -m tests.lab serve``)
# must not pay for importing cryptography & co. before it starts its servers.
_EXPORTS = {
    "SpecError": "spec",
    "WorldSpec": "spec",
    "load_spec": "spec",
    "world_names": "spec",
    "LabError": "runtime",
    "LabUnavailable": "runtime",
    "World": "runtime",
    "check_available": "runtime",
    "lab_mode": "runtime",
    "live_worlds": "runtime",
    "stop_all": "runtime",
    "world": "runtime",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tests.lab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
