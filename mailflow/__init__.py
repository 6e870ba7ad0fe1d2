"""mailflow: a UK council's customer-contact and complaints procedure, run over plain email."""

__version__ = "0.1.0"
