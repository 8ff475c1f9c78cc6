"""`blog-reviews`: a review document for each new blog proposal, dated stage moves, nudges.

For each proposal without a document, the drafter (Google Docs, or HTML files locally) makes one
from the template with every placeholder filled and shares it; the document is a side effect with
its own key in the ledger, so a rerun never makes a second one, and a crash after it was made
but before the proposal was updated finds its link in the ledger. The author and the reviewers
get the link by mail (once each). Each stage move a person makes is dated; a proposal that sits in
a stage longer than configured earns one nudge for that stage, to whoever holds it.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

from ..context import Context
from ..domain.blog import document_fields, document_messages, plan_blog
from ..domain.messages import PlannedMessage
from ..domain.values import shown
from ..effects import Prepared, apply
from ..ports import BlogUpdate
from .base import JobResult, load_roster, plural, record_problems
from .mail_jobs import refuse_left_behind, send

JOB = "blog_review_document"


def document_key(proposal_key: str) -> str:
    return f"{JOB}:{proposal_key}"


def clickable(ctx: Context, message: PlannedMessage) -> PlannedMessage:
    """The message with its document's link as a person clicks it (a local file's `file:` URI)."""
    if "document" not in message.context:
        return message
    link = ctx.makers.drafter.link(message.context["document"])
    return replace(message, context={**message.context, "document": link},
                   deadlines=tuple(replace(d, link=link) for d in message.deadlines))


def run(ctx: Context) -> JobResult:
    refuse_left_behind(ctx)  # mail that went from the local folder, unknown here: stop before any write
    result = JobResult("blog-reviews")
    proposals, found = ctx.stores.blog.read()
    roster, _ = load_roster(ctx)
    names = {a.email: a.name for a in roster}
    record_problems(ctx, result, found, names)
    settings = ctx.settings.blog
    people = {a.email: a for a in roster}
    plan = plan_blog(proposals, ctx.as_of, settings, names, people)

    made_before = {k: e.reference for k, e in ctx.stores.ledger.entries().items() if k.startswith(JOB) and e.status == "sent"}
    links = {p.key: made_before[document_key(p.key)] for p in plan.new_documents if document_key(p.key) in made_before}
    todo = [p for p in plan.new_documents if p.key not in links]
    actions = [Prepared(document_key(p.key), JOB, p.author, "",
                        (p, document_fields(p, ctx.as_of, settings, names),
                         tuple(dict.fromkeys((p.author, *(p.reviewers or settings.reviewers))))))
               for p in todo]
    if ctx.dry_run:
        for p in todo:
            result.summary.append(f"would make the review document of '{p.title}' ({p.author}) with {ctx.makers.drafter.name}")
        for key, history in plan.stage_moves.items():
            result.summary.append(f"would date the stage of {key}: {history[-1][0]} since {history[-1][1]}")
        # No document is made: a stand-in link marks the rows (and the link mail) a real run would give one.
        links.update({p.key: f"(the review document of '{p.title}', not made in a dry run)" for p in todo})
        made = len(todo)
    else:
        applied = apply(actions, ledger=ctx.stores.ledger, lock=ctx.mail.lock, session=lambda: nullcontext(ctx.makers.drafter),
                        perform=lambda drafter, payload: drafter.create(payload[0].key, shown(payload[0].title), payload[1],
                                                                        payload[2]),
                        clock=ctx.clock, stop=ctx.stop)
        result.failures += [f"review document: {f}" for f in applied.failures]
        links.update({a.key[len(JOB) + 1:]: a.reference for a in applied.done})
        made = len(applied.done)

    updates = {}
    for p in proposals:
        document = p.document or links.get(p.key, "")
        history = plan.stage_moves.get(p.key, p.history)
        if document != p.document or history != p.history:
            updates[p.key] = BlogUpdate(document, history)
    written = ctx.stores.blog.record(updates, dry_run=ctx.dry_run)
    # Every proposal with a document is planned its link messages: the ledger drops those that went,
    # so a message that failed once goes on a later run.
    documents = {p.key: p.document or links.get(p.key, "") for p in proposals}
    messages = [m for p in proposals if documents[p.key] and p.stage != "published"
                for m in document_messages(replace(p, history=plan.stage_moves.get(p.key, p.history)),
                                           documents[p.key], settings, names, people)]
    mail = send(ctx, "blog-reviews", [clickable(ctx, m) for m in messages + plan.messages])
    result.failures += mail.failures
    if ctx.dry_run:
        result.summary.append(f"Dry run: {len(proposals)} proposals: "
                              f"{plural(made, 'review document')} would be made, {len(plan.stage_moves)} stage moves "
                              f"dated, {len(plan.messages)} nudges due; {written.would(ctx.stores.blog.where)}.")
    else:
        result.summary.append(f"{len(proposals)} proposals in {ctx.stores.blog.where}: {plural(made, 'review document')} "
                              f"made, {len(plan.stage_moves)} stage moves dated, {len(plan.messages)} nudges due; "
                              f"proposals {written.describe()}.")
    result.summary += mail.summary
    return result
