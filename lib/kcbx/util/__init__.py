"""Plumbing with no kcbx imports: files written atomically, content digests, the garbage
collector's pause, and the start of worker processes."""
