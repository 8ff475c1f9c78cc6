"""Referral inquiries: who is offered an inquiry, in what order, and what each answer leads to.

Pure functions over `Inquiry`s, the roster, the answers and the run's date. An inquiry is a row (or
record) staff fill: an organization asking for training, services or help getting started. The job
owns a few fields of it: the inquiry's id, its status, the current candidate, when the current
offer went, the recommended ambassador, and the history of steps, each dated. The history is the
truth: status, candidate and offer date are read from it.

An offer goes to one ambassador at a time and shows only the country, region, need and a summary:
the inquirer's name, email and organization reach an ambassador only through staff, after they
accepted. The candidate answers yes or no through a pre-filled form link carrying the offer's
code; the job reads the form's responses back. A declined offer, or one unanswered after
`answer_days`, passes to the next candidate; when one accepts, staff get the recommendation with an
introduction draft; when none is left, staff are told.

Candidates, best first: active ambassadors who match the inquiry (same country, else same region,
else speaking its language), in good standing before warned (none under review), and among equals
the one offered an inquiry least recently (then the fewest offers, then the email), so offers
rotate fairly.

The package: `inquiries` (the values: inquiries, their history, offer codes, answers, settings),
`matching` (who is offered what, in what order, and the messages that go), `rows` (staff's rows and the
answer form's into those values, and the job's own cells back).
"""

from ..rows.referrals import (
                        ANSWER_CHOICES,
                        ANSWER_COLUMNS,
                        ANSWER_QUESTION,
                        CODE_QUESTION,
                        JOB_COLUMNS,
                        PEOPLE_COLUMNS,
                        TIMESTAMP,
                        answers_from_rows,
                        inquiries_from_rows,
                        job_cells,
                        row_key,
)
from .inquiries import (
                        NEEDS,
                        Answer,
                        Inquiry,
                        ReferralSettings,
                        format_history,
                        offer_code,
                        offer_codes_of,
                        parse_history,
)
from .matching import messages_for, plan_referrals, plan_states, rank

__all__ = [
    "ANSWER_CHOICES", "ANSWER_COLUMNS", "ANSWER_QUESTION", "CODE_QUESTION", "JOB_COLUMNS", "NEEDS",
    "PEOPLE_COLUMNS", "TIMESTAMP", "Answer", "Inquiry", "ReferralSettings", "answers_from_rows",
    "format_history", "inquiries_from_rows", "job_cells", "messages_for", "offer_code", "offer_codes_of",
    "parse_history", "plan_referrals", "plan_states", "rank", "row_key",
]
