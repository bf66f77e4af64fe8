"""Who receives the weekly digest and what `syncd status` says about it: apart from building and sending
(services/digests.py), so a command that only shows settings imports neither the email package nor the load maths
(issue 32)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from syncd.config import Settings

if TYPE_CHECKING:
    from syncd.ports import AthletesAndAccounts, DigestCounts
    from syncd.records import AthleteRecord

LOCAL_ATHLETE = "local"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def address_problem(address: str) -> str | None:
    """Why `address` cannot receive mail, or None; catches typos before an SMTP server bounces them."""
    from email.headerregistry import Address  # ~30 ms: only when there is an address to check
    from email.utils import parseaddr

    name, addr = parseaddr(address)
    if not addr or not _ADDRESS.match(addr) or any(c in address for c in "\r\n"):
        return f"{address!r} is not an email address like runner@example.org"
    try:
        Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, TypeError) as exc:
        return f"{address!r} is not a valid email address ({exc})"
    return None


def recipient(athlete: AthleteRecord, settings: Settings, *, owner_id: int | None = None) -> str | None:
    """Where this athlete's digest goes, or None.

    The install's owner (syncd.services.athletes.owner: the single linked athlete, else the local one; with no
    `owner_id` given, the local athlete) receives it at their own address or `[email] to`, with no opt-in: setting
    `[email] to` is that person's opt-in. Everyone else needs `digest_opt_in` and an address. An unsubscribe (the
    email's link or `syncd athlete set --digest off`) stops it for anyone.
    """
    if athlete.digest_unsubscribed_at is not None:
        return None
    if athlete.digest_opt_in and athlete.email:
        return athlete.email
    is_owner = athlete.id == owner_id if owner_id is not None else athlete.key == LOCAL_ATHLETE
    if is_owner and settings.email.to:
        return athlete.email or settings.email.to
    return None


def owner_id(store: AthletesAndAccounts) -> int | None:
    from syncd.services.athletes import owner

    found = owner(store)
    return None if found is None else found.id


def digest_summary(people: AthletesAndAccounts, digest_log: DigestCounts, settings: Settings) -> dict[str, object]:
    """For `syncd status`: recipients, invalid addresses and digests waiting for a retry."""
    recipients = 0
    invalid: list[dict[str, str]] = []
    to_list: list[dict[str, str]] = []
    boss = owner_id(people)
    for athlete in people.list_athletes():
        to = recipient(athlete, settings, owner_id=boss)
        if to is None:
            continue
        recipients += 1
        why = "[email] to (the one athlete of this install)" if athlete.id == boss and not athlete.email else "opted in"
        to_list.append({"athlete": athlete.key, "address": to, "why": why})
        problem = address_problem(to)
        if problem is not None:
            invalid.append({"athlete": athlete.key, "problem": problem})
    failed = digest_log.failures(20)
    sent = digest_log.sent_count()
    return {
        "enabled": bool(settings.email.host),
        "recipients": recipients,
        "to": to_list,
        "sent": int(sent),
        "invalid_addresses": invalid,
        "failed": failed,
    }
