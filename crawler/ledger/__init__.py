"""The per-code state store."""

from crawler.ledger.base import SETTLED, ArchivedLine, CodeState, Ledger, State
from crawler.ledger.sqlite import LedgerDamaged, SQLiteLedger

__all__ = [
    "SETTLED",
    "ArchivedLine",
    "CodeState",
    "Ledger",
    "LedgerDamaged",
    "SQLiteLedger",
    "State",
]
