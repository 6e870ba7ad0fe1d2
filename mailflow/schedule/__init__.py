"""Deadlines in motion: reminders, escalations, breach warnings and digests, sent once, on time.

    plans      keeps the ``notification`` table in step with the deadlines (plan, re-plan,
               cancel), from the pure plan in ``workflow.reminders``
    dispatch   claims due notices in a transaction and writes one outbox mail per person
    digests    regular lists of overdue deadlines to the managers the rules name
    mails      what a notice mail says about each deadline (the items templates print)
    notifier   one round at an instant: plan, send what is due in working hours, next wake
    scheduler  APScheduler's one job, waking the notifier at the next due instant
    wake       the daemon's wake-up event, heard by the outbox worker and the scheduler
    reload     a rules file reloaded: open deadlines recomputed, and which moved

The database holds every notice; the scheduler only decides when to look.
"""
