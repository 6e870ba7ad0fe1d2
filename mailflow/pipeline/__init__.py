"""The ordered stages an inbound message passes: dedupe, parse, loop guard, thread, classify,
record. The order is one list in ``inbound.py``; each stage lives in its own module."""
