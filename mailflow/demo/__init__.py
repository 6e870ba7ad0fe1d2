"""`mailflow demo`: the whole flow on embedded defaults, in a folder of its own."""
