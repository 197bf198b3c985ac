"""Labelled posts from data/labelled/: loading, text normalisation and the fixed splits."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import emoji

from bot.core.errors import ModelError
from classifiers.heads import labelled_heads, trained_heads
from classifiers.heads.base import LabelledFile

DEFAULT_DATA_DIR = Path("data/labelled")
FALSE_ALARMS = "false_alarms"  # corrected_examples' key for the feed's false alarms
SHIPPED_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "labelled"
SPLIT_SEED = 13
_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")
_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")


def _emoji_as_words(_chars: str, data: dict) -> str:
    return " " + str(data["en"]).strip(":").replace("_", " ") + " "


def normalise_text(text: str) -> str:
    """Undo literal \\uXXXX escapes, shorten links to 'http', spell emoji out and squeeze whitespace.

    MiniLM's vocabulary has no emoji: each was [UNK], which the heads read as mildly positive, so
    "new update 😡😡" came out positive. Spelt out by their CLDR names ("enraged face"), the
    encoder reads them as the words they stand for.
    """
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _URL.sub("http", text)
    if not text.isascii():  # the emoji search costs ~0.1 ms a post; most posts have none
        # escaped surrogate pairs ("\\ud83d\\ude21") joined; a lone half, which the tokenizer rejects, becomes U+FFFD
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        text = emoji.replace_emoji(text, replace=_emoji_as_words)
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True, kw_only=True)
class Example:
    """One labelled post: its labels by key (a head's `label`); a label absent from the line is left out."""

    text: str
    labels: Mapping[str, object] = field(default_factory=dict)

    def label(self, key: str) -> object | None:
        """The value of one label, or None."""
        return self.labels.get(key)


def _as_example(row: dict, where: str) -> Example:
    if not isinstance(row.get("text"), str):
        raise ModelError(f"{where}: every line needs a 'text' string")
    labels: dict[str, object] = {}
    for head in labelled_heads():
        key = str(head.label)
        value = head.parse(row.get(key), where)
        if value is not None:
            labels[key] = value
    return Example(text=row["text"], labels=labels)


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


def stratified_split(
    examples: list[Example], key: str, fraction: float, seed: int = SPLIT_SEED
) -> tuple[list[Example], list[Example]]:
    """Split into (rest, held_out) with `fraction` of each class of `key` held out."""
    groups: dict[object, list[Example]] = defaultdict(list)
    for example in examples:
        groups[example.label(key)].append(example)
    rng = random.Random(seed)
    rest, held = [], []
    for label in sorted(groups, key=str):
        members = groups[label][:]
        rng.shuffle(members)
        cut = round(len(members) * fraction)
        held += members[:cut]
        rest += members[cut:]
    return rest, held


def labelled_files() -> tuple[LabelledFile, ...]:
    """The files the trained heads learn from, each once, in the order of the heads."""
    files: dict[str, LabelledFile] = {}
    for head in trained_heads():
        known = files.setdefault(head.data.name, head.data)
        if known != head.data:
            raise ModelError(f"heads disagree on how to split {head.data.name}.jsonl: {known} / {head.data}")
    return tuple(files.values())


@dataclass(frozen=True, kw_only=True)
class Splits:
    """The fixed train/held-out splits every command agrees on, by labelled file name."""

    train: dict[str, list[Example]]
    test: dict[str, list[Example]]

    def all_train(self) -> list[Example]:
        """Every training example, file after file."""
        return [e for examples in self.train.values() for e in examples]


def load_splits(data_dir: Path = DEFAULT_DATA_DIR, extra: Mapping[str, list[Example]] | None = None) -> Splits:
    """Each labelled file less its stratified held-out part (20% of complaints, 2,500 sentiment tweets).

    `extra` (by file name: the feed's corrections, see `corrected_examples`) joins the training part only,
    so the held-out figures stay comparable from one training to the next.
    """
    train, test = {}, {}
    for spec in labelled_files():
        examples = read_jsonl(Path(data_dir) / f"{spec.name}.jsonl")
        train[spec.name], test[spec.name] = stratified_split(
            examples, spec.stratify, spec.held_out_fraction(len(examples))
        )
        train[spec.name] += list((extra or {}).get(spec.name, []))
    return Splits(train=train, test=test)


def corrected_examples(corrections: list[tuple[str, str, str]]) -> dict[str, list[Example]]:
    """Labelled examples from the feed's corrections, (kind, value, text), newest first.

    "not a complaint" teaches the complaint and severity heads (complaints.jsonl's labels); "false alarm"
    (a page nobody was at risk in) joins the harm model's ordinary posts, under FALSE_ALARMS. Topic
    corrections are kept and shown but add nothing here (topics match config descriptions).
    """
    seen: set[tuple[str, str]] = set()
    found: dict[str, list[Example]] = {}
    for kind, _value, text in corrections:
        if (kind, text) in seen:
            continue
        seen.add((kind, text))
        if kind == "not_complaint":
            found.setdefault("complaints", []).append(Example(text=text, labels={"complaint": False, "severity": 0}))
        elif kind == "false_alarm":  # the harm model's ordinary posts (classifiers/safety/), not a labelled file
            found.setdefault(FALSE_ALARMS, []).append(Example(text=text, labels={"critical": False}))
    return found


def write_heldout(out_dir: Path, data_dir: Path = DEFAULT_DATA_DIR) -> tuple[Path, ...]:
    """Write each held-out split as heldout_<file>.jsonl for `earshot evaluate`; return their paths."""
    splits = load_splits(data_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, examples in splits.test.items():
        path = out_dir / f"heldout_{name}.jsonl"
        path.write_text("".join(json.dumps({"text": e.text, **e.labels}) + "\n" for e in examples), encoding="utf-8")
        paths.append(path)
    return tuple(paths)
