"""stsdiag: diagnose AWS STS endpoint, region and network problems."""

from __future__ import annotations

__version__ = "0.1.0"
