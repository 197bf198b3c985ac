"""`earshot answers list|search|add|retire|gaps`: the brand's known answers, and the complaints still without one."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta
from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, load, when
from bot.core.answers import Answer
from bot.core.errors import EarshotError
from bot.delivery.redact import redact
from bot.routing.answers.gaps import find_gaps
from bot.store import Store

answers_app = typer.Typer(help="The brand's known answers (past public replies, playbook) and the gaps between them.")
AsJson = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


@answers_app.command("list")
def list_answers(
    include_retired: Annotated[bool, typer.Option("--all", help="Retired answers too.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="How many, newest first.")] = 50,
    as_json: AsJson = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Known answers, newest first: id, kind, outcome, when, the complaint answered (or the playbook title)."""
    _print(_store(config), None, include_retired, limit, as_json)


@answers_app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="Words to look for in the answer, its title or the complaint.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    as_json: AsJson = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Known answers whose text, title or answered complaint contains TEXT (any case)."""
    if not text.strip():
        raise EarshotError("search: give some words to look for")
    _print(_store(config), text.strip(), False, limit, as_json)


@answers_app.command("add")
def add(
    title: Annotated[str, typer.Option("--title", help="What the answer is about.")],
    answer: Annotated[str, typer.Option("--answer", help="The answer as a responder would write it.")],
    example: Annotated[list[str], typer.Option("--example", help="A question it answers (repeat for more).")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Add a written answer to the playbook; the next routing pass embeds its examples."""
    examples = [e.strip() for e in example if e.strip()]
    if not title.strip() or not answer.strip() or not examples:
        raise EarshotError("add: --title, --answer and at least one --example must not be empty")
    store = _store(config)
    with store.transaction() as tx:
        try:
            answer_id = tx.answers.add_written(title, answer, examples)
        except ValueError as err:
            raise EarshotError(f"add: {err}") from err
    echo(f"added answer #{answer_id} ({len(examples)} example{'s' if len(examples) != 1 else ''})")


@answers_app.command("retire")
def retire(
    answer_id: Annotated[int, typer.Argument(help="The answer's id, as `earshot answers list` shows it.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Never suggest this answer again (kept for the record)."""
    with _store(config).transaction() as tx:
        if not tx.answers.retire(answer_id):
            raise EarshotError(f"no answer {answer_id}")
    echo(f"retired answer #{answer_id}")


@answers_app.command("gaps")
def gaps(
    days: Annotated[float, typer.Option("--days", min=0.01, max=3650, help="Look back this many days.")] = 7,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 10,
    as_json: AsJson = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """The most frequent kinds of complaint of the last DAYS that no known answer covers: write one for them."""
    settings = load(config)
    store = Store.open(settings.database_url)
    with store.transaction() as tx:
        found = find_gaps(
            tx.suggestions.acted_complaints(tx.now - timedelta(days=days), tx.now),
            tx.answers.active(),
            similarity=settings.answers.gap_similarity,
            answer_threshold=settings.answers.threshold,
            limit=limit,
        )
    if as_json:
        for gap in found:
            echo_json(asdict(gap))
        return
    if not found:
        echo(f"no gaps: every complaint of the last {days:g} days got a known answer or a reply")
    for gap in found:
        echo(
            f"{gap.size:>4} complaints  {gap.topic or '-':<24} {when(gap.first_at)} → {when(gap.last_at)}  "
            f"e.g. post {gap.representative_post_id}: {_short(gap.representative, 100)}"
        )


def _store(config: ConfigOption) -> Store:
    return Store.open(load(config).database_url)


def _print(store: Store, text: str | None, include_retired: bool, limit: int, as_json: bool) -> None:
    with store.transaction() as tx:
        found = [shown(a) for a in tx.answers.search(text=text, include_retired=include_retired, limit=limit)]
    if as_json:
        for answer in found:
            echo_json({k: v for k, v in asdict(answer).items() if k not in ("vectors", "version")})
        return
    if not found:
        echo("no answers" + (f" matching {text!r}" if text else ""))
    for answer in found:
        echo(_line(answer))


def shown(answer: Answer) -> Answer:
    """The answer as people see it: personal data in the reply and the complaint redacted, no vectors."""
    return replace(
        answer,
        text=redact(answer.text),
        complaint_text=redact(answer.complaint_text),
        title=redact(answer.title),
        vectors=(),
    )


def _line(answer: Answer) -> str:
    state = "retired" if answer.retired else ("playbook" if answer.kind == "playbook" else answer.outcome)
    about = answer.title if answer.kind == "playbook" else f"answered {_short(answer.complaint_text, 60)!r}"
    who = f" by @{answer.responder}" if answer.responder else ""
    return f"#{answer.id:<5} {state:<11} {when(answer.answered_at):<21} {about}{who}\n       {_short(answer.text, 110)}"


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
