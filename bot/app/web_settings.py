"""`web:` — where the feed listens, how long a login lasts, whom to believe about addresses, the key file."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from pydantic import Field, field_validator

from bot.core.section import Section


class WebSettings(Section):
    """`web:` — the feed served by `earshot run` and `earshot serve`."""

    enabled: bool = True  # `earshot run` serves the feed too
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    session_hours: float = Field(default=12, gt=0, le=24 * 366)  # a login lasts this long
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <token>`
    # failed logins for one user from one address before each further try waits 1 s, 2 s, 4 s, ... 15 min
    login_attempts: int = Field(default=5, gt=0, le=1000)
    # proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDRs); none by default
    trusted_proxies: tuple[str, ...] = ()
    # the session-signing key when EARSHOT_SECRET_KEY is unset: made once (mode 0600) if missing
    secret_key_file: str = Field(default="data/earshot.key", min_length=1)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _a_list(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError("must be a list of addresses or CIDR networks, e.g. [10.0.0.0/8]")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ip_network(entry.strip(), strict=True)
            except ValueError as err:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network ({err})") from err
        return tuple(entry.strip() for entry in value)

    @property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(entry) for entry in self.trusted_proxies)
