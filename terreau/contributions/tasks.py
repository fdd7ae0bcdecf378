"""Jobs of the contributions app (discovered by Procrastinate); each part imports its own jobs here."""

from terreau.contributions.receipt_batch import receipts_year_end  # noqa: F401
