"""The per-code state store."""

from crawler.ledger.base import ArchivedLine, CodeState, Ledger, State
from crawler.ledger.rules import ASKED_AGAIN, SETTLED
from crawler.ledger.sqlite import LedgerDamaged, SQLiteLedger

__all__ = [
    "ASKED_AGAIN",
    "SETTLED",
    "ArchivedLine",
    "CodeState",
    "Ledger",
    "LedgerDamaged",
    "SQLiteLedger",
    "State",
]
