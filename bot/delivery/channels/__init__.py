"""Alert channels, one plugin file each, chosen by URL scheme.

A channel module declares `CHANNEL` (its `AlertChannel` class), found by `bot.core.plugins.discover`
as every plugin family is; the class's `schemes` are the URL schemes it handles. `apprise_channel`
declares `schemes = ANY` and takes every scheme no other module claims. Adding a channel is one new
file here plus its URL in a tier; nothing else lists them.
"""

from __future__ import annotations

import sys
from functools import cache
from urllib.parse import urlsplit

from bot.core.plugins import discover
from bot.delivery.channels.base import ANY, AlertChannel


@cache
def _classes() -> tuple[dict[str, type[AlertChannel]], type[AlertChannel] | None]:
    """Every channel here: by the schemes it claims, and the one that takes any scheme."""
    by_scheme: dict[str, type[AlertChannel]] = {}
    fallback: type[AlertChannel] | None = None
    channels: dict[str, type[AlertChannel]] = discover(sys.modules[__name__], "CHANNEL")
    for channel in channels.values():
        if channel.schemes is ANY:
            fallback = channel
            continue
        for scheme in channel.schemes:
            if scheme in by_scheme:
                raise RuntimeError(
                    f"channels {by_scheme[scheme].__module__} and {channel.__module__} both claim '{scheme}://'"
                )
            by_scheme[scheme] = channel
    return by_scheme, fallback


def channel_for(url: str, *, timeout_seconds: float = 10.0) -> AlertChannel:
    """The channel for one URL: the one that claims its scheme, else the one that takes any."""
    by_scheme, fallback = _classes()
    channel = by_scheme.get(urlsplit(url).scheme.lower(), fallback)
    if channel is None:
        raise ValueError(f"no alert channel handles '{urlsplit(url).scheme}://' URLs")
    return channel(url, timeout_seconds=timeout_seconds)
