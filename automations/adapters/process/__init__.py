"""Processes: the scheduler runs each job as a child process of the command line."""
