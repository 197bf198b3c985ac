"""Builds data/demo/stream.jsonl: a DEMO stream of X, Reddit, Bluesky and Mastodon API pages (fixed seed).

Texts come from ../shared/data/labelled/complaints.jsonl (real tweets to brands, X-CI
data set, MIT) plus a few scripted scenario posts about the fictional brand Aurora Motors.
The borrowed tweets keep their words but address @AuroraMotors or @AuroraSupport instead of
the brand they were written to, except every OFF_BRAND_EVERY-th one: left as written, to another
brand, it shows the relevance filter storing it without routing it.
Authors, reach, timestamps, ids and engagement are generated. The few Bluesky and Mastodon posts are
written for the demo (scripts/demo_social.py), in the recorded response shapes. Run:
    python scripts/build_demo_stream.py [--source PATH] [--out data/demo/stream.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from demo_social import pages as social_pages

SEED = 20261124
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SAMPLED_TWEETS = 360
REDDIT_SHARE = 0.25
PAGE_SIZE = 20
LOOKUP_ROUNDS = 4  # engagement re-polls, 30 minutes apart
OFF_BRAND_EVERY = 45  # one borrowed tweet in 45 keeps its own brand (8 of 360): the filter's examples
DEMO_HANDLES = ("AuroraMotors", "AuroraSupport")
_LEADING_MENTIONS = re.compile(r"^(\s*@\w+)+")
_MENTION = re.compile(r"@\w+")

# Scripted scenario posts. (key, source, minute, author, reach, text, growth per round)
SCENARIOS: list[dict[str, Any]] = [
    dict(
        key="kids_heat",
        source="x",
        minute=12,
        author="dana_drives",
        reach=40,
        growth=(0, 0),
        text="Put the kids in the rear of my in-laws' car & went for a 20 min drive. Air was set as cold "
        "as possible, but the kids were dehydrated & drenched in sweat after the drive. No air "
        "circulation back there. Love the car, but that's dangerous @AuroraMotors",
    ),
    dict(
        key="recall_charge",
        source="x",
        minute=20,
        author="mike_ev_owner",
        reach=2300,
        growth=(260, 900),
        text="@AuroraMotors quoted me $30,000 to repair the battery cooling fault that is literally under "
        "a RECALL. Three weeks without my car and now this bill. Absolutely unacceptable.",
    ),
    dict(
        key="recall_charge_repost",
        source="x",
        minute=35,
        author="ev_news_fan",
        reach=5100,
        growth=(0, 0),
        repost_of="recall_charge",
        text="RT @mike_ev_owner: @AuroraMotors quoted me $30,000 to repair the battery cooling fault that "
        "is literally under a RECALL. Three weeks without my car and now this bill. Absolutely unacceptable.",
    ),
    dict(
        key="recall_reddit_1",
        source="reddit",
        minute=50,
        author="throwaway_aurora",
        reach=812,
        growth=(40, 12),
        text="Aurora service wants $30,000 for the battery cooling recall repair?\n\nSame thing happened to "
        "me. The service center says the recall does not cover my VIN and quoted a $30k charge for the "
        "battery cooling fix. Anyone else being charged for this recall?",
    ),
    dict(
        key="recall_reddit_2",
        source="reddit",
        minute=75,
        author="cold_pack_owner",
        reach=15400,
        growth=(25, 0),
        reply_to="recall_reddit_1",
        text="Got the same $30,000 quote for the recall repair on the battery cooling system last week. "
        "They are charging owners for a recall fix, this is ridiculous.",
    ),
    dict(
        key="order_question",
        source="x",
        minute=40,
        author="priya_k",
        reach=310,
        growth=(0, 0),
        text="Hi @AuroraSupport, could you tell me when my order will be delivered? It said mid November. Thanks!",
    ),
    dict(
        key="praise",
        source="x",
        minute=55,
        author="happy_miles",
        reach=1200,
        growth=(3, 1),
        text="Six months with my Aurora and I love it. Best car I have ever owned, thanks @AuroraMotors!",
    ),
    dict(
        key="neutral",
        source="x",
        minute=65,
        author="city_news_bot",
        reach=8800,
        growth=(0, 0),
        text="Aurora Motors opens a new showroom on Harbour Street this Saturday.",
    ),
    dict(
        key="brand_reply",
        source="x",
        minute=80,
        author="AuroraSupport",
        reach=45000,
        growth=(0, 0),
        reply_to="kids_heat",
        timeline=True,  # read from the responder's own timeline (GET /2/users/:id/tweets)
        text="@dana_drives We're so sorry, that must have been frightening. Rear air flow matters: please DM us "
        "your VIN and we'll book a priority check of the climate system today.",
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/labelled/complaints.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("data/demo/stream.jsonl"))
    args = parser.parse_args()
    lines = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} pages to {args.out}")


def build(source: Path) -> list[str]:
    rng = random.Random(SEED)
    texts = [json.loads(line)["text"] for line in source.read_text(encoding="utf-8").splitlines()]
    items = [_sampled(rng, text, i) for i, text in enumerate(rng.sample(texts, SAMPLED_TWEETS))]
    items += [_scenario(rng, s) for s in SCENARIOS]
    for item in items:
        item["id"] = _id(rng, item) if item["source"] == "x" else _reddit_id(rng)
    by_key = {item["key"]: item for item in items}
    for item in items:
        for link in ("repost_of", "reply_to"):
            if item.get(link):
                item[link] = by_key[item[link]]
    items.sort(key=lambda item: item["created_at"])

    pages: list[tuple[datetime, str]] = []
    x_items = [i for i in items if i["source"] == "x" and not i.get("timeline")]
    reddit_items = [i for i in items if i["source"] == "reddit"]
    for chunk in _chunks(x_items, PAGE_SIZE):
        fetched = chunk[-1]["created_at"] + timedelta(minutes=1)
        pages.append((fetched, _line(fetched, "x", "x_page", _x_page(chunk, 0))))
    for item in (i for i in items if i.get("timeline")):  # a responder's timeline page, newest first
        fetched = item["created_at"] + timedelta(minutes=2)
        pages.append((fetched, _line(fetched, "x", "x_page", _x_page([item], 0))))
    for chunk in _chunks(reddit_items, PAGE_SIZE // 2):
        fetched = chunk[-1]["created_at"] + timedelta(minutes=1)
        for author in sorted({i["author"] for i in chunk if i["author"]}):
            reach = next(i["reach"] for i in chunk if i["author"] == author)
            pages.append((fetched, _line(fetched, "reddit", "reddit_about", _about(author, reach))))
        pages.append((fetched, _line(fetched, "reddit", "reddit_listing", _listing(chunk, 0))))
    last = max(i["created_at"] for i in items)
    for round_no in range(1, LOOKUP_ROUNDS + 1):  # engagement re-polls of what keeps growing
        fetched = last + timedelta(minutes=30 * round_no)
        growing = [i for i in x_items if i["growth"] != (0, 0)]
        for chunk in _chunks(growing, 100):
            pages.append((fetched, _line(fetched, "x", "x_page", _x_page(chunk, round_no))))
        growing_reddit = [i for i in reddit_items if i["growth"] != (0, 0)]
        if growing_reddit:
            pages.append((fetched, _line(fetched, "reddit", "reddit_listing", _listing(growing_reddit, round_no))))
    pages.sort(key=lambda page: page[0])
    lines = [line for _, line in pages]
    # One deliberately truncated line, like a dropped connection: the replay logs, counts and skips it.
    lines.insert(len(lines) // 2, lines[len(lines) // 2][:57])
    # A few DEMO Bluesky and Mastodon pages, last (so the X and Reddit lines stay as they were).
    lines += [_line(fetched, source, kind, body) for fetched, source, kind, body in social_pages(last)]
    return lines


def _address_brand(text: str, index: int) -> str:
    """The tweet's words, written to the demo brand: its mentions become one of DEMO_HANDLES."""
    handle = "@" + random.Random(SEED + index).choice(DEMO_HANDLES)
    if not _LEADING_MENTIONS.match(text):
        return f"{handle} {text}"
    return _MENTION.sub(handle, _LEADING_MENTIONS.sub(handle, text, count=1))


def _sampled(rng: random.Random, text: str, index: int) -> dict[str, Any]:
    source = "reddit" if rng.random() < REDDIT_SHARE else "x"
    off_brand = index % OFF_BRAND_EVERY == OFF_BRAND_EVERY // 2 and _MENTION.match(text.strip()) is not None
    if off_brand:
        source = "x"  # a tweet to another brand, as a search for the demo brand's name can bring in
    else:
        text = _address_brand(text, index)
    reach = int(rng.lognormvariate(5.5, 1.8))
    viral = rng.random() < 0.06
    growth = (rng.randint(20, 300), rng.randint(5, 120)) if viral else (0, 0)
    return dict(
        key=f"sample{index}",
        source=source,
        author=f"{rng.choice(_NAMES)}{rng.randint(1, 9999)}",
        reach=reach,
        text=text,
        growth=growth,
        created_at=START + timedelta(seconds=rng.randint(0, 3 * 3600)),
    )


def _scenario(rng: random.Random, scenario: dict[str, Any]) -> dict[str, Any]:
    return {**scenario, "created_at": START + timedelta(minutes=scenario["minute"], seconds=rng.randint(0, 59))}


def _metrics(item: dict[str, Any], round_no: int) -> tuple[int, int, int]:
    likes_per_round, reposts_per_round = item["growth"]
    return (
        likes_per_round * round_no + (1 if likes_per_round else 0),
        reposts_per_round * round_no,
        (likes_per_round // 10) * round_no,
    )


def _x_page(chunk: list[dict[str, Any]], round_no: int) -> dict[str, Any]:
    tweets, users = [], {}
    for item in chunk:
        likes, reposts, replies = _metrics(item, round_no)
        tweet: dict[str, Any] = {
            "id": item["id"],
            "text": item["text"],
            "author_id": _user_id(item["author"]),
            "created_at": item["created_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lang": "en",
            "conversation_id": item["id"],
            "edit_history_tweet_ids": [item["id"]],
            "public_metrics": {
                "retweet_count": reposts,
                "reply_count": replies,
                "like_count": likes,
                "quote_count": reposts // 20,
            },
        }
        for link, ref_type in (("repost_of", "retweeted"), ("reply_to", "replied_to")):
            if item.get(link):
                tweet["referenced_tweets"] = [{"type": ref_type, "id": item[link]["id"]}]
                tweet["conversation_id"] = item[link]["id"]
        tweets.append(tweet)
        users[item["author"]] = {
            "id": _user_id(item["author"]),
            "username": item["author"],
            "name": item["author"].replace("_", " ").title(),
            "verified": False,
            "public_metrics": {
                "followers_count": item["reach"],
                "following_count": 180,
                "tweet_count": 2400,
                "listed_count": 3,
            },
        }
    return {
        "data": tweets,
        "includes": {"users": list(users.values())},
        "meta": {
            "result_count": len(tweets),
            "newest_id": max(t["id"] for t in tweets),
            "oldest_id": min(t["id"] for t in tweets),
        },
    }


def _listing(chunk: list[dict[str, Any]], round_no: int) -> dict[str, Any]:
    children = []
    for item in chunk:
        score, comments, _ = _metrics(item, round_no)
        created = item["created_at"].timestamp()
        common = {
            "id": item["id"],
            "name": None,
            "author": item["author"],
            "score": score,
            "ups": score,
            "created_utc": created,
            "created": created,
            "subreddit": "AuroraMotors",
            "subreddit_name_prefixed": "r/AuroraMotors",
            "author_fullname": _user_id(item["author"]),
        }
        if item.get("reply_to"):
            parent = item["reply_to"]
            data = {
                **common,
                "name": f"t1_{item['id']}",
                "body": item["text"],
                "link_id": f"t3_{parent['id']}",
                "parent_id": f"t3_{parent['id']}",
                "permalink": f"/r/AuroraMotors/comments/{parent['id']}/_/{item['id']}/",
            }
            children.append({"kind": "t1", "data": data})
        else:
            title, _, body = item["text"].partition("\n\n")
            data = {
                **common,
                "name": f"t3_{item['id']}",
                "title": title[:300],
                "selftext": body,
                "num_comments": comments,
                "upvote_ratio": 0.93,
                "permalink": f"/r/AuroraMotors/comments/{item['id']}/",
            }
            children.append({"kind": "t3", "data": data})
    return {"kind": "Listing", "data": {"after": None, "before": None, "dist": len(children), "children": children}}


def _about(author: str, karma: int) -> dict[str, Any]:
    return {
        "kind": "t2",
        "data": {
            "name": author,
            "id": _user_id(author)[3:],
            "total_karma": karma,
            "link_karma": karma // 3,
            "comment_karma": karma - karma // 3,
        },
    }


def _line(fetched: datetime, source: str, kind: str, body: dict[str, Any]) -> str:
    return json.dumps(
        {"fetched_at": fetched.isoformat(), "source": source, "kind": kind, "body": body},
        ensure_ascii=False,
        sort_keys=True,
    )


def _id(rng: random.Random, item: dict[str, Any]) -> str:
    millis = int(item["created_at"].timestamp() * 1000) - 1288834974657  # X's snowflake epoch
    return str((millis << 22) + rng.randint(0, 4_000_000))


def _reddit_id(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(7))


def _user_id(author: str) -> str:
    return "t2_" + str(abs(hash_text(author)) % 10**10) if author else ""


def hash_text(text: str) -> int:
    """A stable (unsalted) hash, so ids repeat across runs."""
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % (2**61 - 1)
    return value


def _chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


_NAMES = ["alex", "sam", "jordan", "taylor", "casey", "riley", "morgan", "jamie", "drew", "quinn", "avery", "kai"]

if __name__ == "__main__":
    main()
