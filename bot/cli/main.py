"""The `earshot` command line: every command registered here, behind one error boundary."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from bot.cli import alerts, classify, digest, init, route, run, serve, sources, status, tickets, topics
from bot.cli.answers import answers_app
from bot.cli.texts import TextsCommand
from bot.cli.users import user_app
from bot.core.errors import ConfigError, EarshotError, StoreError
from bot.core.escape import one_line


class Shell(TyperGroup):
    """The error boundary: an Earshot error is one line on stderr and an exit code, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors its own click: its Context type is private
        try:
            return super().invoke(ctx)
        except EarshotError as err:
            typer.echo(f"{_kind(err)}: {one_line(str(err)) or type(err).__name__}", err=True)
            raise typer.Exit(2 if isinstance(err, ConfigError) else 1) from err


def _kind(err: EarshotError) -> str:
    if isinstance(err, ConfigError):
        return "config error"
    return "database error" if isinstance(err, StoreError) else "error"


app = typer.Typer(
    cls=Shell,
    help="Earshot hears complaints about your brand on X and Reddit and gets them to the right human.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(init.init)
app.command("run")(run.run)
app.command("check-config")(run.check_config)
app.command("sources")(sources.sources)
app.command("status")(status.status)
app.command("classify", cls=TextsCommand)(classify.classify)
app.command("evaluate")(classify.evaluate)
app.command("train")(classify.train)
app.command("route")(route.route)
app.command("alerts")(alerts.alerts)
app.command("ack")(alerts.ack)
app.command("resolve")(alerts.resolve)
app.command("snooze")(alerts.snooze)
app.command("false-alarm")(alerts.false_alarm)
app.command("tickets")(tickets.tickets)
app.command("digest")(digest.digest)
app.add_typer(topics.topics_app, name="topics")
app.add_typer(answers_app, name="answers")
app.command("serve")(serve.serve)
app.add_typer(user_app, name="user")
