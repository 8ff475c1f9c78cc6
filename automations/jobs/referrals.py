"""`referrals`: offer each new referral inquiry to the best candidate, one at a time, until one accepts.

Reads the inquiries staff fill, the answer form's responses and the roster (with each ambassador's
standing: compliance's, in run-all, else the roster's Standing column), asks `domain.referrals` how
far each inquiry moves today, records every step on the inquiry (its own fields only), and then
sends the mail its state calls for: the offer to the current candidate, the recommendation (with an
introduction draft) or the news that no one is left to staff. The steps are written before the mail
goes, so a run stopped in between sends the same offer on the next run (the ledger keeps it to one),
never an offer to a second candidate.
"""

from __future__ import annotations

from collections import Counter

from ..context import Context
from ..domain.model import Problem
from ..domain.privacy import ERASE_JOB, ERASED_OFFER, is_erased
from ..domain.quarters import latest_ended
from ..domain.referrals import Answer, offer_codes_of, plan_referrals, plan_states
from ..ports import LedgerEntry
from .base import JobResult, load_roster, plural, record_problems
from .mail_jobs import refuse_left_behind, send


def standings_from_tracks(tracks, as_of) -> dict[str, str]:
    """Each ambassador's standing at the latest ended quarter, as compliance writes it on the roster."""
    quarter = latest_ended(as_of)
    out = {}
    for t in tracks:
        record = t.at(quarter)
        out[t.ambassador.email] = record.standing if record is not None else "good"
    return out


def erased_offers(ctx: Context, address: str) -> list[str]:
    """For `erase`, read before the inquiries' histories forget the address: the keyed hashes of the codes of
    every offer made to it."""
    inquiries, _ = ctx.stores.referrals.read()
    return sorted({ctx.privacy.pseudonyms.offer(code) for code in offer_codes_of(inquiries, address)})


def remember_erased_offers(ctx: Context, address: str, hashes: list[str]) -> None:
    """For `erase`, once the person is erased: their offers' keyed hashes on record for good (the ledger's
    `erase` steps, which retention keeps), so an answer of theirs that carries no address is set aside."""
    entries = ctx.stores.ledger.entries()
    new = [h for h in hashes if ERASED_OFFER + h not in entries]
    if new:
        pseudonym, at = ctx.privacy.pseudonyms.address(address), ctx.clock().isoformat(timespec="seconds")
        with ctx.stores.ledger.batch():
            for h in new:
                ctx.stores.ledger.record(LedgerEntry(ERASED_OFFER + h, ERASE_JOB, pseudonym, "sent", 1, "", "", at))


def _erased_codes(ctx: Context, answers: list[Answer]) -> set[str]:
    """The codes of the answers that carry an erased person's offer code (none hashed when no one's is on record:
    no privacy key is made for it)."""
    on_record = {k.removeprefix(ERASED_OFFER) for k, e in ctx.stores.ledger.entries().items()
                 if e.job == ERASE_JOB and k.startswith(ERASED_OFFER)}
    return {a.code for a in answers if ctx.privacy.pseudonyms.offer(a.code) in on_record} if on_record else set()


def run(ctx: Context, judged: dict | None = None) -> JobResult:
    """`judged` is what compliance just worked out, when run-all runs both."""
    refuse_left_behind(ctx)  # mail that went from the local folder, unknown here: stop before any write
    result = JobResult("referrals")
    inquiries, found = ctx.stores.referrals.read()
    answers, bad_answers = ctx.stores.answers.read()
    roster, _ = load_roster(ctx)
    standings = standings_from_tracks(judged["tracks"], ctx.as_of) if judged and "tracks" in judged else \
        ctx.stores.roster.standings()
    plan = plan_referrals(inquiries, roster, standings, answers, ctx.as_of, ctx.settings.referrals,
                          erased_codes=_erased_codes(ctx, answers))
    found = [*found, *bad_answers, *(
        Problem(ctx.stores.answers.source, a.row, "Offer code", a.code,
                "matches no offer open to this address (mistyped, or sent from another address than the offer's)",
                a.email) for a in plan.ignored_answers
        # An erased person's answer: its code was made for the address erase replaced, so it matches
        # nothing now; that is their history, known and erased, not a problem for staff to mend.
        if not is_erased(a.email))]
    record_problems(ctx, result, found, {a.email for a in roster},
                    closing_sources=(ctx.stores.referrals.source, ctx.stores.answers.source))

    steps = Counter(ev for i in plan.updated.values() for d, ev, _ in i.history if d == ctx.as_of)
    written = ctx.stores.referrals.record(list(plan.updated.values()), dry_run=ctx.dry_run)
    if ctx.dry_run:
        for i in plan.updated.values():
            result.summary.append(f"would record on inquiry {i.id} (row {i.row}): {i.status}"
                                  f"{' to ' + i.current if i.current else ''}")
    mail = send(ctx, "referrals", plan.messages)
    result.failures += mail.failures
    states = Counter(i.status for i in plan_states(inquiries, plan))
    counts = (f"{plural(steps['offered'], 'offer')} made, {steps['declined']} declined, {steps['unanswered']} "
              f"unanswered in time, {steps['accepted']} accepted, {steps['exhausted']} with no candidate left; "
              f"now {states['offered']} waiting for an answer, {states['accepted']} recommended, "
              f"{states['exhausted']} exhausted")
    many = f"{len(inquiries)} inquir{'y' if len(inquiries) == 1 else 'ies'}"
    if ctx.dry_run:
        result.summary.append(f"Dry run: {many}: {counts}; "
                              f"{written.would(ctx.stores.referrals.where)}.")
    else:
        result.summary.append(f"{many} in {ctx.stores.referrals.where}: {counts}; "
                              f"inquiries {written.describe()}.")
    result.summary += mail.summary
    return result
