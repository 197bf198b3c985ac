"""The distinctive words of a post, for telling "the same problem" from "a similar-sounding one".

Lower-cased words of three letters or more, without stop words, the brand's own name, or anything
that is not prose: HTML markup (a tag is dropped whole, with its attributes: `<img src=... style=...>`
gives no "img", "src", "style" or "color"), HTML entities, links (with or without a scheme), e-mail
addresses, @handles, #tags and u/ r/ names. Amounts are normalised so "$30,000", "30,000" and "$30k"
are the same term.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

STOP_WORDS = frozenset(
    """
a about above after again against all also am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during
each even ever few for from further get gets got had hadn't has hasn't have haven't having he her here hers
herself him himself his how i i'm i've if in into is isn't it it's its itself just let's like me more most
my myself no nor not now of off on once one only or other our ours ourselves out over own really same she
should so some still such than that that's the their theirs them themselves then there these they they're
this those through to too two three under until up us very was wasn't we we're were weren't what when where
which while who whom why will with won't would wouldn't you you're your yours yourself yourselves amp rt via
im ive dont cant wont isnt didnt doesnt thats theyre youre hi hey hello thanks thank please pls lol
""".split()
)
_MARKUP = re.compile(
    "|".join(
        [
            r"<(style|script)\b.*?(?:</\1\s*>|$)",  # a style sheet or script, whole
            r"<!--.*?(?:-->|$)",  # an HTML comment
            r"</?[a-z][^<>]*>",  # an HTML tag with its attributes
            r"<[a-z][\w-]*\s[^<>]*=[^<>]*$",  # a tag cut off at the end of the post: <img src="x" style="co
        ]
    ),
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"(?<![\w-])[\w-]++\s*=\s*(?:\"[^\"]*\"|'[^']*')")  # left outside a tag: style="color:red"
_ADDRESS_STARTS = ("www.", "//", "mailto:", "data:", "javascript:", "tel:")
_PATH = re.compile(r"[\w-]\.[a-z]{2,}/|^\W?/?[ur]/\w")  # example.com/page (a link without its scheme); u/name, r/name
_NAME = re.compile(r"[@#]\w+")  # @handles and #tags
_THOUSANDS = re.compile(r"\$?(\d{1,3}),(\d{3})\b")
_KILO = re.compile(r"\$?(\d+)k\b")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def terms(text: str, ignore: Iterable[str] = ()) -> frozenset[str]:
    """The distinctive words of `text`; words in `ignore` (the brand's name) never count."""
    text = _prose(html.unescape(text).lower().replace("’", "'"))
    text = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2), text)
    text = _KILO.sub(lambda m: str(int(m.group(1)) * 1000), text)
    skip = STOP_WORDS | {w.lower() for w in ignore}
    found = set()
    for word in _WORD.findall(text):
        if word in skip or word.replace("'", "") in skip:
            continue
        if len(word) >= 3 or word.isdigit():
            found.add(word)
    return frozenset(found)


def _prose(text: str) -> str:
    """Lower-cased `text` less what is not prose (markup, links, addresses, handles, tags), each a space."""
    if "<" in text:
        text = _MARKUP.sub(" ", text)
    if "=" in text:
        text = _ATTRIBUTE.sub(" ", text)
    if "/" in text or "@" in text or ":" in text or "www." in text:
        text = " ".join(word for word in text.split() if not _is_address(word))
    return _NAME.sub(" ", text)


def _is_address(word: str) -> bool:
    """A link (with or without its scheme), an e-mail address or handle, or a Reddit u/ r/ name."""
    return (
        "@" in word
        or "://" in word
        or word.lstrip("(<[\"'").startswith(_ADDRESS_STARTS)
        or ("/" in word and _PATH.search(word) is not None)
    )


def brand_words(name: str, handles: Iterable[str]) -> frozenset[str]:
    """The words of the brand's name and handles, which every post about it shares."""
    return frozenset(w for w in re.findall(r"[a-z0-9]+", " ".join([name, *handles]).lower()))
