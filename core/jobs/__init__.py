"""Due-jobs and the notification outbox."""
