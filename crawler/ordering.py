"""Release archive captures to the sink in CDX order, whatever order downloads finish in.

Why: the next run resumes the CDX query from the newest stored archive capture
(remaining work is derived from the database). That is only safe if every
older row of the run was stored first, so results wait here until all rows
before them are done. A crash loses only unreleased results, which the next
run fetches again.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable

_PENDING = object()


class InOrderRelease:
    """Per-stream queues of slots; ``complete`` returns what became releasable, in order."""

    def __init__(self) -> None:
        self._streams: dict[Hashable, OrderedDict[Hashable, Any]] = {}

    def add(self, stream: Hashable, slot: Hashable) -> None:
        """Reserve the next position of ``stream`` for ``slot``."""
        self._streams.setdefault(stream, OrderedDict())[slot] = _PENDING

    def complete(self, stream: Hashable, slot: Hashable, items: list[Any]) -> list[Any]:
        """Store ``slot``'s items; return every item now at the head of the stream.

        A slot this process never reserved (a request restored from a JOBDIR queue)
        is released at once: its order was lost with the previous process.
        """
        queue = self._streams.get(stream)
        if queue is None or slot not in queue:
            return list(items)
        queue[slot] = list(items)
        released: list[Any] = []
        while queue:
            head_slot, head = next(iter(queue.items()))
            if head is _PENDING:
                break
            released.extend(head)
            del queue[head_slot]
        return released

    def pending(self, stream: Hashable | None = None) -> int:
        """Slots still waiting (for one stream or all), for stats and tests."""
        streams = [self._streams.get(stream, OrderedDict())] if stream is not None else list(self._streams.values())
        return sum(len(q) for q in streams)
