"""How every plugin family is found: each plugin module of a family's package declares one constant.

A family is a package (`connectors/`, `bot/delivery/sinks/`, `bot/delivery/channels/`,
`classifiers/heads/`); each module or subpackage in it that defines the family's constant
(`SOURCE`, `SINK`, `CHANNEL`, `HEAD`) is a plugin, named after the module. Modules without it
(`base.py`, helpers) are not plugins. Adding a plugin is one new file: nothing lists them.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any


@cache
def discover(package: ModuleType, attribute: str, *, folders: bool = False) -> dict[str, Any]:
    """`attribute` of every module in `package` that defines it, by module name, in name order.

    `folders`: the family's plugins are subpackages (connectors/), so its plain modules are not imported.
    """
    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if folders and not info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if (value := getattr(module, attribute, None)) is not None:
            found[info.name] = value
    return found
