"""Labelled posts from data/labelled/: loading, text normalisation and the fixed splits."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ModelError

SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
DEFAULT_DATA_DIR = Path("data/labelled")
SHIPPED_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "labelled"
SPLIT_SEED = 13
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Undo literal \\uXXXX escapes, shorten links to 'http' and squeeze whitespace."""
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _URL.sub("http", text)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True, kw_only=True)
class Example:
    """One labelled post; a label absent from the file is None."""

    text: str
    complaint: bool | None = None
    sentiment: str | None = None
    severity: int | None = None
    topic: str | None = None


def _as_example(row: dict, where: str) -> Example:
    if not isinstance(row.get("text"), str):
        raise ModelError(f"{where}: every line needs a 'text' string")
    complaint = row.get("complaint")
    if isinstance(complaint, str):
        complaint = complaint.strip().lower() in ("true", "1", "yes")
    sentiment = row.get("sentiment")
    sentiment = sentiment.strip().lower() if isinstance(sentiment, str) else sentiment
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise ModelError(f"{where}: sentiment must be one of {SENTIMENTS}, got {sentiment!r}")
    severity = row.get("severity")
    return Example(
        text=row["text"],
        complaint=None if complaint is None else bool(complaint),
        sentiment=sentiment,
        severity=None if severity is None else int(severity),
        topic=row.get("topic"),
    )


def read_jsonl(path: Path) -> list[Example]:
    """Read labelled posts from a JSON Lines file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ModelError(f"cannot read labelled data {path}: {err}") from err
    examples = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ModelError(f"{path}:{number}: not JSON: {err}") from err
            examples.append(_as_example(row, f"{path}:{number}"))
    return examples


def stratified_split(examples: list[Example], key: str, fraction: float,
                     seed: int = SPLIT_SEED) -> tuple[list[Example], list[Example]]:
    """Split into (rest, held_out) with `fraction` of each class of `key` held out."""
    groups: dict[object, list[Example]] = defaultdict(list)
    for example in examples:
        groups[getattr(example, key)].append(example)
    rng = random.Random(seed)
    rest, held = [], []
    for label in sorted(groups, key=str):
        members = groups[label][:]
        rng.shuffle(members)
        cut = round(len(members) * fraction)
        held += members[:cut]
        rest += members[cut:]
    return rest, held


@dataclass(frozen=True, kw_only=True)
class Splits:
    """The fixed train/held-out splits every command agrees on."""

    complaints_train: list[Example]
    complaints_test: list[Example]
    sentiment_train: list[Example]
    sentiment_test: list[Example]


def load_splits(data_dir: Path = DEFAULT_DATA_DIR, sentiment_test: int = 2500) -> Splits:
    """Stratified 20% of complaints.jsonl and a stratified 2,500 of sentiment.jsonl held out."""
    complaints = read_jsonl(Path(data_dir) / "complaints.jsonl")
    sentiment = read_jsonl(Path(data_dir) / "sentiment.jsonl")
    c_train, c_test = stratified_split(complaints, "complaint", 0.2)
    s_train, s_test = stratified_split(sentiment, "sentiment", sentiment_test / len(sentiment))
    return Splits(complaints_train=c_train, complaints_test=c_test,
                  sentiment_train=s_train, sentiment_test=s_test)


def write_heldout(out_dir: Path, data_dir: Path = DEFAULT_DATA_DIR) -> tuple[Path, Path]:
    """Write the held-out splits as JSON Lines for `earshot evaluate`; return their paths."""
    splits = load_splits(data_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = (out_dir / "heldout_complaints.jsonl", out_dir / "heldout_sentiment.jsonl")
    for path, examples, fields in ((paths[0], splits.complaints_test, ("complaint", "sentiment", "severity")),
                                   (paths[1], splits.sentiment_test, ("sentiment",))):
        rows = [{"text": e.text, **{f: getattr(e, f) for f in fields}} for e in examples]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return paths
