"""Config section for the classifier (`classifier:` in config.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.core.section import Section

# Read by the multilingual encoder unless the config says otherwise (docs/classifier.md, "Languages"): the
# languages of Europe's and the world's largest markets that the detector tells apart on a tweet.
DEFAULT_LANGUAGES = (
    "en", "es", "pt", "fr", "de", "it", "nl", "pl", "sv", "da", "no", "fi", "ca", "ro", "cs", "hu", "el", "tr", "ru",
    "uk", "ar", "he", "hi", "id", "vi", "th", "ja", "ko", "zh",
)  # fmt: skip


class TopicSettings(Section):
    """One topic of the brand's taxonomy."""

    name: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(default_factory=list)


class RiskSignalSettings(Section):
    """Words that lift a post's urgency to `level` whatever its tone (see docs/classifier.md)."""

    name: str = Field(min_length=1)
    level: Literal["medium", "high", "critical"] = "critical"
    keywords: list[str] = Field(min_length=1)  # case-insensitive; a trailing * matches any ending
    with_any: list[str] = Field(default_factory=list)  # if set, one of these must appear too
    topic: str | None = None  # a topic the post then carries as well
    override: bool = False  # set the urgency to `level` even below what the model decided


class SafetySettings(Section):
    """The learned harm signal: a person at risk or just hurt is critical in any industry."""

    critical: float = Field(default=0.15, ge=0.0, le=1.0)  # P(harm) from which a post is critical
    elevated: float = Field(default=0.1, ge=0.0, le=1.0)  # a complaint this likely harmful is at least high
    topic: str | None = "safety"  # added to the post's topics when the taxonomy has it


def _default_risk_signals() -> list[RiskSignalSettings]:
    """Legal threats and data breaches; danger to people comes from the harm model (`classifier.safety`)."""
    return [
        RiskSignalSettings(
            name="legal",
            level="high",
            keywords=[
                "lawyer*",
                "attorney*",
                "lawsuit*",
                "sue",
                "suing",
                "class action",
                "small claims",
                "legal action",
                "lemon law",
                "regulator*",
                "nhtsa",
                "ombudsman",
                "trading standards",
            ],
        ),
        RiskSignalSettings(
            name="data breach",
            keywords=[
                "data breach",
                "security breach",
                "privacy breach",
                "hacked",
                "data leak",
                "data was leaked",
                "data leaked",
                "details leaked",
                "leaked my",
                "leaked our",
                "personal data",
                "personal information",
                "identity theft",
                "stolen card",
                "privacy violation",
            ],
        ),
    ]


class ClassifierSettings(Section):
    """`classifier:` — the model and what to do with its labels."""

    batch_size: int = Field(default=32, gt=0)  # posts per encoder pass, grouped by length (less padding)
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    review_heads: list[str] = Field(
        default_factory=lambda: ["complaint"]
    )  # trained heads whose low confidence flags needs_review
    # The languages read with a model that understands them; the first is assumed for a post too short or unclear to
    # call. English is read by the fine-tuned MiniLM, every other one listed by the multilingual encoder (e5); a post
    # in a language not listed is read as English and `other_languages` says whether it is routed.
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES), min_length=1)
    other_languages: str = Field(default="tag", pattern="^(tag|skip)$")
    language_min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)  # below it: the first of `languages`
    topics: list[TopicSettings] = Field(default_factory=list)
    topic_threshold: float = Field(default=0.25, ge=0.0, le=1.0)  # topics past the first need this score
    max_topics: int = Field(default=3, gt=0)
    topic_min_similarity: float = Field(default=0.35, ge=-1.0, le=1.0)  # below it for every topic: other
    other_topic: str | None = "other"  # the topic a post nothing fits gets; None: always the best topic
    risk_signals: list[RiskSignalSettings] = Field(default_factory=_default_risk_signals)
    safety: SafetySettings = SafetySettings()
    model_dir: str | None = None  # the trained artifacts; None: the ones shipped in classifiers/artifacts
    quantize: bool = True  # the int8 ONNX graph under onnxruntime; false: the torch model in fp32 (slower)
    threads: int = Field(default=1, gt=0)  # the daemon's other stages need a core too (docs/scaling.md)
    own_process: bool = True  # the daemon runs the model in a worker process, out of its other threads' way
    embedding_decimals: int = Field(default=4, ge=1, le=8)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, codes: list[str]) -> list[str]:
        from classifiers.heads.language import known_languages

        known = known_languages()
        for code in codes:
            if code not in known:
                raise ValueError(f"unknown language {code!r}: use ISO 639-1 codes the detector knows, e.g. en, es, de")
        if len(set(codes)) != len(codes):
            raise ValueError("a language is listed twice")
        return codes

    @property
    def multilingual(self) -> tuple[str, ...]:
        """The languages routed to the multilingual encoder: every listed one but English."""
        return tuple(code for code in self.languages if code != "en")
