"""Signing in to the web console without passwords (issue 23).

- A one-time link: `/console` in private chat (or `kaohe console-link 姓名`) makes a secret
  valid for `LINK_TTL`, usable once, bound to that person. Opening it starts a session
  (an HttpOnly, SameSite=Lax cookie, Secure behind https, `SESSION_TTL`) and redirects,
  so the secret leaves the address bar and the history.
- A Telegram Mini App: the page sends Telegram's `initData`, which is checked as
  Telegram's Web Apps documentation specifies (HMAC-SHA-256 keyed by
  HMAC-SHA-256("WebAppData", bot token)) and must be younger than `INIT_DATA_MAX_AGE`.
- Every form carries the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import web as store

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
INIT_DATA_MAX_AGE = timedelta(hours=1)
COOKIE = "kaohe_console"
PREFIX = "/console"


@dataclass(frozen=True, slots=True)
class WebAppUser:
    """Who Telegram says opened the Mini App."""

    id: int
    first_name: str
    auth_date: datetime


class BadInitData(ValueError):
    """initData that is not Telegram's, is malformed, or is too old."""


def webapp_user(init_data: str, *, bot_token: str, now: datetime) -> WebAppUser:
    """The user of a Mini App's `initData` once its hash and age check out; else raise.

    data-check-string: every field but `hash`, as `key=value`, sorted by key, joined by
    newlines; secret key: HMAC-SHA-256 of the bot token with the key "WebAppData"."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError as exc:
        raise BadInitData("malformed") from exc
    given = fields.pop("hash", "")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(expected, given):
        raise BadInitData("hash")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError) as exc:
        raise BadInitData("fields") from exc
    if not timedelta(minutes=-5) <= now - auth_date <= INIT_DATA_MAX_AGE:
        raise BadInitData("age")
    return WebAppUser(user_id, str(user.get("first_name", "")), auth_date)


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """initData as Telegram would send it (for the demo's and the tests' Mini App)."""
    from urllib.parse import urlencode

    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


async def new_login_link(
    session: AsyncSession, *, base_url: str, person_id: int, via: str, now: datetime
) -> str:
    """A one-time sign-in link for the person (the caller commits)."""
    secret, _ = store.issue_token(
        session, person_id=person_id, kind=store.LOGIN, via=via, now=now, ttl=LINK_TTL
    )
    return f"{base_url.rstrip('/')}{PREFIX}/login?t={secret}"


def csrf_ok(expected: str, given: str) -> bool:
    """The form's CSRF token matches the session's."""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
