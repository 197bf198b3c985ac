"""Author karma, Reddit's stand-in for an audience size: looked up once per author, then cached."""

from __future__ import annotations

from collections import OrderedDict


class KarmaCache:
    """Author → total karma (None: unknown or suspended), least recently used evicted past `size`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, int | None] = OrderedDict()

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def get(self, name: str) -> int | None:
        if name in self._data:
            self._data.move_to_end(name)
        return self._data.get(name)

    def put(self, name: str, karma: int | None) -> None:
        self._data[name] = karma
        self._data.move_to_end(name)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def known(self) -> dict[str, int]:
        """Every cached author with a known karma."""
        return {name: karma for name, karma in self._data.items() if karma is not None}
