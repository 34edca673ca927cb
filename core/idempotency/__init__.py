"""Safe retries of creating API requests: the first answer of each ``Idempotency-Key``, kept a day."""
