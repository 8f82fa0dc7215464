"""The fate of a notice: one of eight statuses, and how a notice moves between them.

Every notice row holds exactly one of these in ``Notice.status`` (invariant 7: its fate is always
recorded). Final statuses never change again; a person may still ask for a resend of a
``failed`` or ``undelivered`` notice, which creates the next *attempt* (a new row), never edits
the old one.

===============  ====================================================================  =======
status           meaning                                                               final
===============  ====================================================================  =======
``queued``       waiting to be sent from ``next_try_at`` on (the first send, or a       no
                 retry scheduled after HTTP 429 or a retryable delivery failure)
``sending``      claimed by a dispatcher; a create request may have been made.          no
                 With no ``sid`` the outcome is not recorded yet: ``next_try_at`` is
                 the end of the claim's lease, after which anyone must *look the
                 message up* at the provider before any resend (never two SMS)
``sent``         the provider accepted it (``sid`` recorded); no delivery report yet    no
``delivered``    the handset has it                                                     yes
``undelivered``  the carrier could not deliver it (``error_code``: 30003…), retries     yes
                 used up or not worth it
``failed``       refused at create (21211 invalid number, 21614 not a mobile…) or       yes
                 failed at the provider; ``error_code`` and ``error_message`` say why
``opted_out``    never sent: the phone replied STOP/退订 (or Twilio answered 21610)     yes
``no_phone``     never sent: the registry has no usable mobile number                  yes
===============  ====================================================================  =======

::

    queued ──claim──> sending ──accepted──> sent ──callback──> delivered | undelivered | failed
      ^                  │  │                 │
      │                  │  └─429 / unknown──┐└─30003, 30008, 30001, 30036 (limited)──┐
      └──────────────────┴───────────────────┴──────────────────────────────────────┘
"""
from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from schemes.i18n import Msg, load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")  # notify.status.<fate>, notify.kind.<kind>

Fate = Literal["queued", "sending", "sent", "delivered", "undelivered", "failed", "opted_out", "no_phone"]
NoticeKind = Literal["publicity", "payment_confirmation", "payment_failed", "period_statement"]

QUEUED: Final = "queued"
SENDING: Final = "sending"
SENT: Final = "sent"
DELIVERED: Final = "delivered"
UNDELIVERED: Final = "undelivered"
FAILED: Final = "failed"
OPTED_OUT: Final = "opted_out"
NO_PHONE: Final = "no_phone"

FATES: tuple[Fate, ...] = (QUEUED, SENDING, SENT, DELIVERED, UNDELIVERED, FAILED, OPTED_OUT, NO_PHONE)
FINAL: frozenset[str] = frozenset({DELIVERED, UNDELIVERED, FAILED, OPTED_OUT, NO_PHONE})
#: What ``resend_failed`` resends (an explicit action of a person).
RESENDABLE: frozenset[str] = frozenset({FAILED, UNDELIVERED})
#: A provider holds a message for these (segments are paid for).
PROVIDER_HAS_IT: frozenset[str] = frozenset({SENT, DELIVERED, UNDELIVERED})

#: ``period_statement`` is keyed by (village, period, household), anchored on the period's newest
#: told run (:mod:`dividends.outbox.period`).
KINDS: tuple[NoticeKind, ...] = ("publicity", "payment_confirmation", "payment_failed", "period_statement")


def check_kind(kind: str) -> NoticeKind:
    from dividends.outbox.messages import refuse

    if kind not in KINDS:
        raise refuse("outbox.kind_unknown", kind=kind, kinds=list(KINDS))
    return kind  # type: ignore[return-value]


def from_provider(status: str) -> str:
    """Our status for a provider's message status: ``accepted``, ``queued``, ``sending`` and
    ``sent`` are all ``sent`` (the provider has it); ``read`` is ``delivered``; ``canceled`` is
    ``failed``.

    >>> [from_provider(s) for s in ("queued", "sent", "delivered", "undelivered", "canceled")]
    ['sent', 'sent', 'delivered', 'undelivered', 'failed']
    """
    status = status.lower()
    if status in ("delivered", "read"):
        return DELIVERED
    if status == "undelivered":
        return UNDELIVERED
    if status in ("failed", "canceled"):
        return FAILED
    return SENT


def fate_label(fate: str, lang: str | None = None) -> str:
    """A notice's fate as people read it (pages, CLI): the catalog's ``notify.status.<fate>``;
    anything else as it is."""
    return Msg(f"notify.status.{fate}").text(lang) if fate in FATES else fate


def kind_label(kind: str, lang: str | None = None) -> str:
    """A notice kind as people read it: the catalog's ``notify.kind.<kind>``; anything else as it is."""
    return Msg(f"notify.kind.{kind}").text(lang) if kind in KINDS else kind
