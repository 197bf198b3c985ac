"""The brand's written answers (`answers.playbook` file and `answers.entries`), validated with their paths."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.core.errors import ConfigError
from bot.routing.answers.settings import AnswerSettings, PlaybookEntrySettings


@dataclass(frozen=True, kw_only=True)
class PlaybookEntry:
    """One entry, with the key it is kept under (its title) and a digest of what it says."""

    key: str
    title: str
    answer: str
    examples: tuple[str, ...]

    @property
    def digest(self) -> str:
        """Changes when the title, answer or examples change: the cached embeddings are then made again."""
        body = json.dumps([self.title, self.answer, list(self.examples)], ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def load_playbook(settings: AnswerSettings, base_dir: Path) -> list[PlaybookEntry]:
    """Every entry of the playbook file and of `answers.entries`; ConfigError naming the path of a bad one."""
    found = [_entry(e) for e in settings.entries]
    if settings.playbook:
        path = Path(settings.playbook)
        path = path if path.is_absolute() else base_dir / path
        found += [_entry(e) for e in _read(path)]
    keys: dict[str, int] = {}
    for index, entry in enumerate(found):
        if entry.key in keys:
            raise ConfigError(f"answers: playbook entry {index} repeats the title {entry.title!r}")
        keys[entry.key] = index
    return found


def _read(path: Path) -> list[PlaybookEntrySettings]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"answers.playbook: cannot read {path}: {err.strerror or err}") from err
    try:
        document: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {_line(err)}") from err
    if isinstance(document, dict) and "entries" in document:
        document = document["entries"]
    if not isinstance(document, list):
        raise ConfigError(f"{path}: must be a list of entries (title, answer, examples)")
    entries = []
    for index, item in enumerate(document):
        try:
            entries.append(PlaybookEntrySettings.model_validate(item))
        except ValidationError as err:
            raise ConfigError(f"{path}: [{index}]{_problem(err)}") from err
    return entries


def _entry(settings: PlaybookEntrySettings) -> PlaybookEntry:
    title = " ".join(settings.title.split())
    return PlaybookEntry(
        key=title.casefold(),
        title=title,
        answer=settings.answer.strip(),
        examples=tuple(e.strip() for e in settings.examples),
    )


def _problem(err: ValidationError) -> str:
    """`.key: message` of the first error, an unknown key first (with the nearest valid one)."""
    errors = sorted(err.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        near = difflib.get_close_matches(where, list(PlaybookEntrySettings.model_fields), n=1, cutoff=0.5)
        what = "unknown key" + (f"; did you mean '{near[0]}'?" if near else "")
    else:
        what = first["msg"].removeprefix("Value error, ")
    return f"{'.' + where if where else ''}: {what}"


def _line(err: Exception) -> str:
    return " ".join(str(err).split())[:200]
