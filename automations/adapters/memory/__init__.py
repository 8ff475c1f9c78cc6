"""In memory: the work cache for a process that keeps nothing (a context built without a folder)."""
