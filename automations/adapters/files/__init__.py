"""Files on this machine: atomic writes, the run and send locks, the work cache (SQLite), the schedule's state,
the erase journal, the report archive, the files the jobs made about people, and the services' request budgets
every process keeps together."""
