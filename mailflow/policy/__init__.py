"""The pure core: rules files as frozen objects, working-day calendars, deadlines, routing.

Nothing here does I/O beyond reading a rules file, and nothing reads the clock: "now" is
always an argument, so every rule of a policy is testable in milliseconds.
"""
