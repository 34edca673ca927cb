"""The embedded SQLite database: transactions of two processes (a page, the demo's jobs loop)
queue for the single writer instead of failing with "database is locked"."""

import threading
import time

from sqlalchemy import text

from core.db import Database


def test_a_reader_that_turns_writer_waits_for_another_writer(tmp_path):
    database = Database()
    database.configure(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with database.engine.begin() as setup:
            setup.execute(text("CREATE TABLE counter (n INTEGER)"))
            setup.execute(text("INSERT INTO counter VALUES (0)"))
        errors = []

        def jobs_loop() -> None:
            try:
                with database.engine.begin() as other:
                    other.execute(text("UPDATE counter SET n = n + 1"))
            except Exception as exc:  # handed to the test thread below
                errors.append(exc)

        with database.engine.connect() as page:
            transaction = page.begin()
            page.execute(text("SELECT n FROM counter")).scalar()  # a page reads ...
            loop = threading.Thread(target=jobs_loop)
            loop.start()
            time.sleep(0.3)  # ... the jobs loop wants to write meanwhile ...
            page.execute(text("UPDATE counter SET n = n + 10"))  # ... and the page then writes
            transaction.commit()
        loop.join(timeout=30)
        assert errors == []
        with database.engine.connect() as check:
            assert check.execute(text("SELECT n FROM counter")).scalar() == 11
    finally:
        database.dispose()
