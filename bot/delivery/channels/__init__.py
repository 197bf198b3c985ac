"""Alert channels, one plugin file each, chosen by URL scheme.

A channel module defines `Channel` (an `AlertChannel`) and `SCHEMES`, the URL schemes it
handles; `apprise_channel` declares `SCHEMES = ANY` and takes every scheme no other module
claims. Adding a channel is one new file here plus its URL in a tier; nothing else lists them.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from urllib.parse import urlsplit

from bot.delivery.channels.base import ANY, AlertChannel


@cache
def _modules() -> tuple[dict[str, ModuleType], ModuleType | None]:
    """Every channel module here: by the schemes it claims, and the one that takes any scheme."""
    by_scheme: dict[str, ModuleType] = {}
    fallback: ModuleType | None = None
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        schemes = getattr(module, "SCHEMES", None)
        if schemes is None or not hasattr(module, "Channel"):
            continue  # base.py and helpers
        if schemes is ANY:
            fallback = module
            continue
        for scheme in schemes:
            if scheme in by_scheme:
                raise RuntimeError(
                    f"channels {by_scheme[scheme].__name__} and {module.__name__} both claim '{scheme}://'"
                )
            by_scheme[scheme] = module
    return by_scheme, fallback


def channel_for(url: str, *, timeout_seconds: float = 10.0) -> AlertChannel:
    """The channel for one URL: the module that claims its scheme, else the one that takes any."""
    by_scheme, fallback = _modules()
    module = by_scheme.get(urlsplit(url).scheme.lower(), fallback)
    if module is None:
        raise ValueError(f"no alert channel handles '{urlsplit(url).scheme}://' URLs")
    channel: AlertChannel = module.Channel(url, timeout_seconds=timeout_seconds)
    return channel
