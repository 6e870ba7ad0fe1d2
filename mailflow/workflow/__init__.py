"""The workflow decides: pure functions from (state, event, policy, now) to (state, actions).

Nothing here does I/O or reads the clock. The shell (pipeline, outbox, scheduler) loads the
state, asks ``decide``, and writes the new state and the actions in one transaction.
"""
