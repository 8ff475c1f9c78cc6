"""`export EMAIL`, `erase EMAIL` and `retention`: one person's data on request, and nothing kept too long.

`export` gathers every row of every table that is the person's or names them (roster and status
history, check-in responses, activities, check-ins, data problems, mail ledger, blog proposals,
referral inquiries and answers, funding requests, event attendance; the conduct register only for a
reader named in `conduct.readers`) and the files the jobs made about them (outbox messages, review
documents) into one JSON file and a readable HTML page.

`erase` forgets the person everywhere `export` looks (`domain.privacy`): their address becomes a keyed
hash, their text tokens, their files are deleted, and the conduct register's rows about them deleted
(by a reader). Their Status is staff's to set, as ever; no message goes to an erased address. Numbers stay: every
activity still counts where it counted, so a report of a past quarter is unchanged; and the ledger's
keys hold the keyed hash, so nothing is sent again. Running it again finds nothing left to do; a run
stopped part-way is finished by the next one.

`retention` (in run-all) deletes what is kept longer than `privacy.retention` says, and the conduct
register's incidents past `conduct.retention_days`.

The package: `gathering` (finding everything that is the person's, what export and erase share), `exporting`
(`export`), `erasing` (`erase`) and `expiry` (`retention`).
"""

from .erasing import erase
from .expiry import retention
from .exporting import export

__all__ = ["erase", "export", "retention"]
