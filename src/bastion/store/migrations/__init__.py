"""Alembic migrations of the run store (run by `bastion.store.migrate.upgrade`)."""
