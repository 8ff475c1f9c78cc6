"""The terminal: progress bars (rich) when a person watches, nothing under cron."""
