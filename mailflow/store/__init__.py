"""Persistence: the only place SQLModel and SQLAlchemy appear.

    vocab      closed vocabularies (StrEnum), importable without SQLAlchemy
    columns    aware-UTC instants, vocabulary columns, constraint naming
    models     the tables (Contact, Message, Deadline, Outbox, Audit, ...)
    db         make_engine, session_scope, default_url; SQLAlchemy errors -> StoreError
    migrate    upgrade / current / head over the packaged Alembic scripts (migrations/)
    repo       small typed queries and writes: references, contacts, audit, messages
    leases     named expiring leases (one watcher per mailbox across daemons)
    blobs      BlobStore: content-addressed bytes on disk

This module imports nothing, so ``mailflow.store.vocab`` stays cheap for pure code.
"""
