"""Links to a post, built from what a payload says, that can only point at the source's own site.

A payload's path, handle or id is untrusted: `@evil.example/x` after `https://www.reddit.com` makes
`www.reddit.com` the user name and `evil.example` the host, and `//evil.example`, `\\evil.example` or
`/../` do their own tricks. Segments are percent-encoded one by one, a path must be a plain absolute
path, and the finished URL's host is checked against the origin's.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

_PATH_SAFE = "/-._~!$&'()*+,;=:@%"


def link(origin: str, *segments: str) -> str:
    """`origin` + each segment percent-encoded (a `/` in a segment is encoded too): `link(X, handle, "status", id)`."""
    path = "/".join(quote(segment, safe="") for segment in segments if segment not in ("", ".", ".."))
    return checked(origin, f"{origin.rstrip('/')}/{path}")


def link_to_path(origin: str, path: str) -> str | None:
    """`origin` + `path` (a permalink such as `/r/cars/comments/abc/title/`), or None when `path` is not a
    plain absolute path on that site (another host, a scheme, `//`, a backslash, control characters)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or any(ord(ch) < 0x21 for ch in path):
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or ".." in parts.path.split("/"):
        return None
    encoded = quote(parts.path, safe=_PATH_SAFE) + (f"?{quote(parts.query, safe='=&%')}" if parts.query else "")
    try:
        return checked(origin, origin.rstrip("/") + encoded)
    except ValueError:
        return None


def checked(origin: str, url: str) -> str:
    """`url` when it is on `origin`'s scheme and host, with no user name or port of its own; ValueError if not."""
    want, got = urlsplit(origin), urlsplit(url)
    if (got.scheme, got.hostname, got.port) != (want.scheme, want.hostname, want.port) or got.username is not None:
        raise ValueError(f"a link to {want.hostname} would point elsewhere: {url[:200]!r}")
    return url
