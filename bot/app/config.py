"""Loads config.yaml once at start-up and validates it, naming the YAML path of any error."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal, get_origin

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.app.alarm import AlarmSettings
from bot.app.web_settings import WebSettings
from bot.core.errors import ConfigError, StoreError
from bot.core.section import Section
from bot.digest.settings import DigestSettings
from bot.routing.answers.settings import AnswerSettings
from bot.routing.rule_settings import Conditions
from bot.routing.settings import RoutingSettings
from bot.store import check_url
from classifiers.relevance import BrandTerms
from classifiers.settings import ClassifierSettings
from connectors.registry import ConnectorsSettings, source_names

DEFAULT_CONFIG = Path("config.yaml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class BrandSettings(Section):
    """`brand:` — whose complaints we listen for."""

    name: str = Field(min_length=1)
    handles: list[str] = Field(default_factory=list)  # the brand's own accounts, without '@'
    # Per source, the accounts that speak for the brand (its handles, support, executives): their
    # replies are the brand's public answers. E.g. {x: [AuroraSupport, elena_ceo], reddit: [AuroraTeam]}
    responders: dict[str, list[str]] = Field(default_factory=dict)

    @property
    def own_handles(self) -> list[str]:
        """The brand's accounts and every responder's: their posts are answers, never complaints."""
        found = [*self.handles, *(h for handles in self.responders.values() for h in handles)]
        return list(dict.fromkeys(h.lstrip("@") for h in found))

    # What else names it: a post naming none of these (nor in its subreddits) is not about the brand.
    aliases: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    subreddits: list[str] = Field(default_factory=list)
    ambiguous: list[str] = Field(default_factory=list)  # names that also mean something else
    about: str = ""  # one line on what the brand is: the model compares ambiguous posts with it...
    not_about: list[str] = Field(default_factory=list)  # ...and with what the ambiguous names also mean

    def terms(self) -> BrandTerms:
        """The brand as the relevance check reads it."""
        return BrandTerms(**self.model_dump(exclude={"responders"}))


class DatabaseSettings(Section):
    """`database:` — SQLite by default; EARSHOT_DATABASE_URL overrides `url`."""

    url: str = "sqlite:///data/earshot.db"

    @field_validator("url")
    @classmethod
    def _usable_url(cls, url: str) -> str:
        """A URL no driver takes (`notadb://`) is a config error now, not a crash at start."""
        if "${" not in url:
            try:
                check_url(url)
            except StoreError as err:
                raise ValueError(str(err)) from None
        return url


class LoggingSettings(Section):
    """`logging:` — human lines or one JSON object per line."""

    format: Literal["human", "json"] = "human"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class PipelineSettings(Section):
    """`pipeline:` — how often each stage runs and how much it takes at once."""

    batch_size: int = Field(default=256, gt=0, le=100_000)
    classify_interval_seconds: int = Field(default=5, gt=0, le=86_400)
    route_interval_seconds: int = Field(default=5, gt=0, le=86_400)
    deliver_interval_seconds: int = Field(default=5, gt=0, le=86_400)


class Config(Section):
    """The whole of config.yaml."""

    brand: BrandSettings
    database: DatabaseSettings = DatabaseSettings()
    logging: LoggingSettings = LoggingSettings()
    pipeline: PipelineSettings = PipelineSettings()
    connectors: ConnectorsSettings = ConnectorsSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    routing: RoutingSettings = RoutingSettings()
    answers: AnswerSettings = AnswerSettings()
    digest: DigestSettings = DigestSettings()
    alarms: AlarmSettings = AlarmSettings()
    web: WebSettings = WebSettings()
    # Shadow mode: route, open tickets and raise alerts as usual, but record them as "would have sent" and
    # deliver nothing to any sink or channel; turning it off later never sends what it recorded.
    shadow: bool = False
    # Directory relative paths in the config are resolved against (the config file's own).
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _rule_sources_known(self) -> Config:
        """Every `routing.rules[i].when.source` and `brand.responders` key names a source of connectors.registry."""
        known = source_names()
        for name in self.brand.responders:
            if name not in known:
                message = f"no source '{name}'; the sources are {', '.join(known)}"
                error = InitErrorDetails(
                    type=PydanticCustomError("unknown_source", message), loc=("brand", "responders", name), input=name
                )
                raise ValidationError.from_exception_data("Config", [error])
        for index, tier in enumerate(self.digest.alert_tiers):
            if tier not in self.routing.alerts.tiers:
                message = f"no tier '{tier}' in routing.alerts.tiers"
                error = InitErrorDetails(
                    type=PydanticCustomError("unknown_tier", message), loc=("digest", "alert_tiers", index), input=tier
                )
                raise ValidationError.from_exception_data("Config", [error])
        for index, rule in enumerate(self.routing.rules):
            for loc, name in _condition_sources(rule.when, ("routing", "rules", index, "when")):
                if name not in known:
                    message = f"no source '{name}'; the sources are {', '.join(known)}"
                    error = InitErrorDetails(type=PydanticCustomError("unknown_source", message), loc=loc, input=name)
                    raise ValidationError.from_exception_data("Config", [error])
        return self

    def resolve(self, path: str | Path) -> Path:
        """A path from the config, made absolute against the config file's directory."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    @property
    def database_url(self) -> str:
        """The database URL, with EARSHOT_DATABASE_URL winning and SQLite paths made absolute."""
        url = os.environ.get("EARSHOT_DATABASE_URL") or self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str(self.resolve(url[len(prefix) :]))
        return url


def _condition_sources(when: Conditions, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """(YAML path, name) of every source named in rule conditions, nested `any:` included."""
    found = [((*loc, "source", i), name) for i, name in enumerate(when.source or [])]
    for i, nested in enumerate(when.any or []):
        found += _condition_sources(nested, (*loc, "any", i))
    return found


def load_config(path: str | Path = DEFAULT_CONFIG) -> Config:
    """Read, expand and validate a config file; raise ConfigError with one clear line."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"{path}: no such config file") from err
    except IsADirectoryError as err:
        raise ConfigError(f"{path}: is a directory, not a config file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read: {_one_line(str(err))}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {_one_line(str(err))}") from err
    return config_from_document(document, path)


def config_from_document(document: Any, path: Path) -> Config:
    """Validate a parsed config document (from the file at `path`); raise ConfigError with one clear line."""
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    try:
        document = _expand_env(document, ())
        config = Config.model_validate(document)
    except ValidationError as err:
        raise ConfigError(f"{path}: {_describe(err)}") from err
    except RecursionError as err:  # a YAML alias that contains itself, or absurd nesting
        raise ConfigError(f"{path}: nested too deeply (or a YAML alias refers to itself)") from err
    return config.model_copy(update={"base_dir": path.resolve().parent})


def mask_password(url: str) -> str:
    """A database URL fit to print: the password, if any, replaced by ***."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url


def _expand_env(value: Any, where: tuple[str | int, ...]) -> Any:
    """Replace ${NAME} and ${NAME:-default} in every string, recursively."""
    if isinstance(value, dict):
        return {key: _expand_env(item, (*where, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand_env(item, (*where, index)) for index, item in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{_dotted(where)}: environment variable {name} is not set")

    return _ENV_REF.sub(substitute, value)


def _describe(err: ValidationError) -> str:
    """The first validation error as `a.b.c: message`, with a hint for unknown keys."""
    first = err.errors()[0]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        hint = _nearest_key(loc)
        suffix = f"; did you mean '{hint}'?" if hint else ""
        return f"{_dotted(loc)}: unknown key{suffix}"
    if first["type"] == "missing":
        return f"{_dotted(loc)}: required key is missing"
    message = first["msg"].removeprefix("Value error, ")
    more = len(err.errors()) - 1
    return f"{_dotted(loc)}: {message}" + (f" (and {more} more)" if more else "")


def _nearest_key(loc: tuple[Any, ...]) -> str | None:
    """The valid key closest to the unknown last element of `loc`."""
    model: Any = Config
    keyed = False  # the part after a mapping field is a name of the user's (a tier, a sink), not a field
    for part in loc[:-1]:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _model_of(field.annotation)
        if model is None:
            return None
        keyed = get_origin(field.annotation) is dict
    matches = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.5)
    return matches[0] if matches else None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `Model` or `list[Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{part}]" if isinstance(part, int) else _key(part) for part in loc).replace(".[", "[") or "(top)"


def _key(part: Any) -> str:
    """A YAML key as written, or quoted when it holds spaces, newlines or other odd characters."""
    text = str(part)
    return text if text and text.isprintable() and " " not in text else repr(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())
