"""A command whose arguments are texts: `earshot classify "-50% off today"` works like any other text.

A post may begin with `-` ("-50% off", "--- worst service ever ---"). Only the command's own options
(`--config PATH`, `-c PATH`, `--config=PATH`, `--help`) are read as options, wherever they stand;
every other argument is a text. `--` still ends the options, and a lone `-` reads the texts from
stdin, one per line.
"""

from __future__ import annotations

import sys
from typing import Any

from typer.core import TyperCommand


class TextsCommand(TyperCommand):
    """Parses its own options first, then hands every other argument over as a text (after `--`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored click Context is private
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if getattr(param, "param_type_name", "") == "option":
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)  # type: ignore[attr-defined]
        options: list[str] = []
        texts: list[str] = []
        index = 0
        while index < len(args):
            arg = args[index]
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if arg == "--":
                texts.extend(args[index + 1 :])
                break
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and index + 1 < len(args):
                    options.append(args[index + 1])
                    index += 1
            else:
                texts.append(arg)
            index += 1
        if texts == ["-"]:
            texts = [line.rstrip("\n") for line in sys.stdin if line.strip()]
        return super().parse_args(ctx, [*options, "--", *texts])
