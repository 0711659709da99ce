"""piigate: a pre-send email PII gate.

An SMTP relay that reads every part of every outbound message, finds sensitive PII, enforces
the agency's sharing rules before anything leaves, and records every external disclosure.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
