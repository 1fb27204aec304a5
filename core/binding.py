"""Invite codes that bind a Telegram account to a roster person (DESIGN §1)."""

from __future__ import annotations

import re

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVITE_LENGTH = 8
_CODE = re.compile(rf"^[{INVITE_ALPHABET}]{{{INVITE_LENGTH}}}$")


def normalize_invite_code(text: str) -> str | None:
    """The invite code in what a user typed (any case, spaces or dashes), or None."""
    candidate = re.sub(r"[\s\-_]", "", text).upper()
    return candidate if _CODE.match(candidate) else None


def deep_link(bot_username: str | None, code: str) -> str | None:
    """`https://t.me/<bot>?start=<code>`, or None while the bot's username is unknown."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"
