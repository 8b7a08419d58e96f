"""The alert machinery's clock seam: the project's one clock (``policywatch.clock``).

Delivery, backoff, leases and health checks take ``now`` from a caller (or a
``clock`` callable read at each claim) so tests can move time without sleeping.
"""
from __future__ import annotations

from policywatch.clock import TIME_FORMAT, later, now_stamp, resolve, stamp, utcnow

__all__ = ["TIME_FORMAT", "later", "now_stamp", "resolve", "stamp", "utcnow"]
