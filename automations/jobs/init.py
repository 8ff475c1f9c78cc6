"""`init`: create the tables and fields the project needs in the store (Airtable), and say what.

Existing tables and fields, staff's included, are never changed. A second run creates nothing.
On the local CSV folder it creates the files staff fill in (each with its header row only); the jobs
create the folder's other files themselves.
"""

from __future__ import annotations

from ..context import Context
from ..errors import StopRun
from .base import JobResult


def referral_form(ctx: Context, result: JobResult) -> None:
    """`init --referral-form`: the answer form made once and published; its pre-fill entries and the keys to
    set go to stdout as a block of config.yaml, what was done to the summary."""
    made = ctx.makers.referral_form.ensure(ctx.dry_run)
    if ctx.dry_run and not made.form_id:
        result.summary.append(f"Dry run: would {made.would[0]}; nothing created.")
        return
    if ctx.dry_run:
        would = "; would " + " and ".join(made.would) if made.would else ""
        result.summary.append(f"Dry run: the referral answer form {made.form_id} exists{would}; nothing changed.")
    elif "created" in made.done:
        result.summary.append(f"Created and published the referral answer form {made.form_id}: {made.url}")
    else:
        did = "; " + " and ".join(made.done) if made.done else ""
        result.summary.append(f"The referral answer form {made.form_id} exists ({made.url}): no second form "
                              f"made{did}.")
    result.summary += made.notes
    if not made.entries:
        return
    code, answer = made.entries.get("code", ""), made.entries.get("answer", "")
    result.summary.append(f"Its pre-fill entries: 'Offer code' {code or '(unknown)'}, 'Answer' {answer or '(unknown)'} "
                          f"(choices Yes, No). Set the keys printed on stdout in the referrals section of config.yaml.")
    if not (code and answer):
        result.summary.append("An entry shows as (unknown): take it from the form's \"Get pre-filled link\".")
    sheet = (f"# or, to read its linked response sheet instead: answers_source: sheets, answers_spreadsheet_id: "
             f"{made.linked_sheet}") if made.linked_sheet else \
        ("# or link a response sheet (the form's Responses tab) and read it: answers_source: sheets, "
         "answers_spreadsheet_id: <its id>")
    result.output = "\n".join(["referrals:", f"  answer_form_url: {made.url}", f"  prefill_code_entry: {code}",
                               f"  prefill_answer_entry: {answer}", "  answers_source: forms",
                               f"  answers_form_id: {made.form_id}", f"  {sheet}"])


def run(ctx: Context, form: bool = False, referral: bool = False) -> JobResult:
    """Create the store's tables; with `form`, create the check-in form instead; with `referral`, the referral
    answer form."""
    result = JobResult("init")
    if referral:
        referral_form(ctx, result)
        if not form:
            return result
    if form:
        if ctx.makers.form_builder.existing:
            raise StopRun(f"checkin_form.form_id is set ({ctx.makers.form_builder.existing}): the check-in form exists. A "
                          f"second one would split the responses; clear form_id first to make a new form.")
        if ctx.dry_run:
            items = ctx.makers.form_builder.plan()
            questions = sum(1 for i in items if "questionItem" in i)
            result.summary.append(f"Dry run: would create the check-in form with {questions} questions in "
                                  f"{ctx.makers.form_builder.sections} activity sections, and publish it.")
            return result
        form_id, url = ctx.makers.form_builder.create()
        result.summary += [f"Created and published the check-in form {form_id}: {url}",
                           f"To read its responses, set in config.yaml: checkin_form.source: forms, "
                           f"checkin_form.form_id: {form_id}, checkin_form.form_url: {url}"]
        return result
    done = ctx.stores.admin.init(ctx.dry_run)
    # The local backend's staff tables: a file with its header row, for staff to fill. The jobs make the
    # folder's other files (activities, ledger, problems) themselves as they run.
    stores = ((ctx.stores.referrals, "referral inquiries"), (ctx.stores.answers, "referral answers"),
              (ctx.stores.funding, "funding requests"), (ctx.stores.conduct, "conduct register"))
    files = [(store, what) for store, what in stores if store is not None and hasattr(store, "create")]
    for store, what in files:
        if store.create(ctx.dry_run):
            done.append(f"{'would create' if ctx.dry_run else 'created'} {store.where} ({what}, the header row only)")
    result.summary += done
    if files:
        result.summary.append("The jobs create the local folder's other files themselves as they run.")
    if files and not done:
        names = ", ".join(what for _, what in files)
        result.summary.append(f"Every file init makes in the local folder is there already ({names}); nothing created.")
    elif not done:
        result.summary.append("Every table and field the project needs is there already; nothing created.")
    elif ctx.dry_run:
        result.summary.append("Dry run: nothing created.")
    return result
