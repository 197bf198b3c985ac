"""Each table has one writer: the owner module bot/store/transaction.py names for it.

The owners' source is read (not run): a table is written where its row is built (`XRow(...)`), where a
statement inserts, updates or deletes it, or where an attribute is set on a row read from it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from bot.store import Store
from bot.store.transaction import Transaction

OPS = Path(__file__).resolve().parents[2] / "bot" / "store" / "ops"

OWNERS = {  # table class -> the module of bot/store/ops that writes it (the map in bot/store/transaction.py)
    "PostRow": "posts",
    "ClassificationRow": "labels",
    "CorrectionRow": "labels",
    "RouteDecisionRow": "routing",
    "IncidentRow": "incidents",
    "IncidentPostRow": "incidents",
    "IncidentTermRow": "incidents",
    "AlertRow": "alerts",
    "OutboxRow": "outbox",
    "TicketRow": "tickets",
    "TicketEventRow": "tickets",
    "AlertHandlingRow": "handling",
    "AlertNoteRow": "handling",
    "ResponseRow": "responses",
    "AnswerRow": "answers",
    "SuggestionRow": "suggestions",
    "AnswerFeedbackRow": "suggestions",
    "DigestRow": "digest",
    "SourceStateRow": "health",
    "UserRow": "users",
    "WebSessionRow": "access",
    "ApiTokenRow": "access",
    "AuditRow": "audit",
}
STATEMENTS = {"insert", "update", "delete"}


def _table(node: ast.AST | None) -> str | None:
    """The table class an expression names: `XRow` or `XRow.__table__`."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) and node.id.endswith("Row") else None


def _read_from(node: ast.AST, returns: dict[str, str]) -> list[str | None]:
    """The table classes of the rows an expression yields, by position (`select(A, B)` -> [A, B])."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        name = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
        if name == "select":
            return [_table(arg) for arg in sub.args]
        if name == "get" and sub.args and _table(sub.args[0]):
            return [_table(sub.args[0])]
        if name in returns:
            return [returns[name]]
        if _table(sub.func):
            return [_table(sub.func)]
    return []


def _bind(target: ast.AST, tables: list[str | None], types: dict[str, str]) -> None:
    if isinstance(target, ast.Name) and len(tables) == 1 and tables[0]:
        types[target.id] = tables[0]
    elif isinstance(target, ast.Tuple):
        for element, table in zip(target.elts, tables, strict=False):
            if isinstance(element, ast.Name) and table:
                types[element.id] = table


def _written(function: ast.FunctionDef, returns: dict[str, str]) -> set[str]:
    types: dict[str, str] = {}
    for arg in function.args.args:
        if arg.annotation is not None and _table(arg.annotation):
            types[arg.arg] = _table(arg.annotation)  # type: ignore[assignment]
    written: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(target, _read_from(node.value, returns), types)
        elif isinstance(node, ast.For):
            rows = node.iter
            known = [types.get(rows.id)] if isinstance(rows, ast.Name) else _read_from(rows, returns)
            _bind(node.target, known, types)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if _table(node.func) and not isinstance(node.func, ast.Attribute):
                written.add(_table(node.func))  # type: ignore[arg-type]  # a row built
            elif name in STATEMENTS and node.args and _table(node.args[0]):
                written.add(_table(node.args[0]))  # type: ignore[arg-type]
            elif name == "setattr" and node.args and isinstance(node.args[0], ast.Name):
                written.add(types.get(node.args[0].id, ""))
    for node in ast.walk(function):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        )
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name):
                    written.add(types.get(element.value.id, ""))
    return written - {""}


def writers() -> dict[str, set[str]]:
    """Table class -> the ops modules that write it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(OPS.glob("*.py")):
        tree = ast.parse(path.read_text())
        functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
        returns = {f.name: table for f in functions if (table := _table(_first_type(f.returns)))}
        for function in functions:
            for table in _written(function, returns):
                found[table].add(path.stem)
    return dict(found)


def _first_type(annotation: ast.AST | None) -> ast.AST | None:
    """`XRow` of `XRow` or `XRow | None`."""
    if isinstance(annotation, ast.BinOp):
        return annotation.left
    return annotation


def test_every_table_has_one_writer_the_owner_named_for_it() -> None:
    found = writers()
    several = {table: sorted(modules) for table, modules in found.items() if len(modules) > 1}
    assert not several, f"tables written by more than one owner: {several}"
    assert {table: modules.pop() for table, modules in found.items()} == OWNERS


def test_the_reader_sees_a_write_through_a_row_read_from_the_session() -> None:
    source = "def f(self):\n    row = self.session.get(AlertRow, 1)\n    row.status = 'sent'\n"
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    assert _written(function, {}) == {"AlertRow"}


@pytest.mark.parametrize(
    "owner",
    ["posts", "labels", "routing", "incidents", "alerts", "outbox", "tickets", "handling", "responses", "answers"]
    + ["suggestions", "digests", "sources", "users", "access", "audit", "feed", "listings", "locks"],
)
def test_each_owner_is_reachable_from_the_transaction(sqlite_store: Store, owner: str) -> None:
    with sqlite_store.transaction() as tx:
        assert isinstance(tx, Transaction)
        assert getattr(tx, owner).session is tx.session and getattr(tx, owner).now == tx.now
