"""The console's correction pages: a claim's speaker, span, stance and type corrected, a claim
the extractor missed added from the article page, an article marked reviewed, claims assigned
and acted on in bulk from the queue.

Every change goes through the same store calls as the API (`CorrectionRepository`,
`ReviewRepository`, `AssignmentRepository`) with the version the form was rendered with, so a
stale form saves nothing and shows who changed the claim first.
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, request, url_for

from ..runtime import runtime
from ..store import Conflict, Gone, NotFound, VersionMismatch
from ..store.bulk import BULK_ACTIONS, apply as apply_bulk
from .forms import CorrectionForm, NewClaimForm
from .views import _can, _claim_or_404, _claim_page_or_404, _render_claim, _verdict_form, bp

def _speaker_choice(form: CorrectionForm) -> dict[str, Any] | None:
    if form.speaker_id.data:
        return {"id": form.speaker_id.data.strip()}
    if (form.name.data or "").strip():
        return {"name": form.name.data.strip(), "kind": form.kind.data, "title": (form.title.data or "").strip() or None}
    return None


@bp.post("/claims/<cid>/correct")
def correct_claim(cid: str) -> Any:
    """One correction form: `field` says which (speaker, span, stance or type)."""
    if not _can("verify"):
        abort(403)
    _claim_or_404(cid)  # a 404 for an unknown claim, before the form is read
    form = CorrectionForm()
    if not form.validate_on_submit():
        flash("Not corrected: " + "; ".join(m for ms in form.errors.values() for m in ms), "error")
        return redirect(url_for("console.claim_page", cid=cid))
    field = form.field.data
    if field == "speaker":
        choice = _speaker_choice(form)
        if choice is None:
            flash("Not corrected: pick a speaker from the registry or give a new speaker's name.", "error")
            return redirect(url_for("console.claim_page", cid=cid))
        changes: dict[str, Any] = {"speaker": choice}
    elif field == "span":
        if form.start.data is None or form.end.data is None:
            flash("Not corrected: select the claim's words, or give start and end.", "error")
            return redirect(url_for("console.claim_page", cid=cid))
        changes = {"span": {"start": form.start.data, "end": form.end.data}}
    else:
        changes = {field: form.stance.data if field == "stance" else form.type.data}
    try:
        _, changed = runtime().repos.corrections.correct(cid, changes, by=g.user.name,
                                                         expected_versions=[form.version.data])
    except NotFound:
        abort(404)
    except VersionMismatch as stale:
        page = _claim_page_or_404(cid)
        conflict = {"theirs": page.claim["verification"], "version": stale.current,
                    "changes": list(reversed(page.history[-max(1, stale.current - form.version.data):])),
                    "correction": True}
        return _render_claim(page, _verdict_form(page.claim), conflict=conflict, status=409)
    except Conflict as refused:
        flash(f"Not corrected: {refused}.", "error")
        return redirect(url_for("console.claim_page", cid=cid))
    flash("Correction saved." if changed else "Nothing to correct: the claim already says that.")
    return redirect(url_for("console.claim_page", cid=cid))


@bp.post("/articles/<aid>/claims")
def add_claim(aid: str) -> Any:
    """Add a claim the extractor missed: words selected on the article page, and a speaker."""
    if not _can("verify"):
        abort(403)
    form = NewClaimForm()
    back = redirect(url_for("console.article_page", aid=aid))
    if not form.validate_on_submit():
        flash("Not added: " + "; ".join(m for ms in form.errors.values() for m in ms), "error")
        return back
    speaker = {"id": form.speaker_id.data.strip()} if form.speaker_id.data else \
        {"name": (form.name.data or "").strip(), "kind": form.kind.data, "title": (form.title.data or "").strip() or None}
    if "name" in speaker and not speaker["name"]:
        flash("Not added: give the speaker (a registry id, or a new speaker's name).", "error")
        return back
    try:
        added = runtime().repos.corrections.add(aid, {"span": {"start": form.start.data, "end": form.end.data},
                                                      "speaker": speaker, "stance": form.stance.data,
                                                      "type": form.type.data}, by=g.user.name)
    except (NotFound, Gone):
        abort(404)
    except Conflict as refused:
        flash(f"Not added: {refused}.", "error")
        return back
    flash("Claim added.")
    return redirect(url_for("console.claim_page", cid=added["id"]))


@bp.post("/articles/<aid>/review")
def mark_reviewed(aid: str) -> Any:
    if not _can("verify"):
        abort(403)
    reviewed = request.form.get("reviewed") == "1"
    try:
        runtime().repos.reviews.mark(aid, reviewed, by=g.user.name)
    except (NotFound, Gone):
        abort(404)
    flash("Article marked reviewed." if reviewed else "Review mark taken back.")
    return redirect(url_for("console.article_page", aid=aid))


@bp.post("/claims/bulk")
def bulk() -> Any:
    """The queue's bulk form: the selected claims (or one row's "assign to me")."""
    if not _can("verify"):
        abort(403)
    one = request.form.get("assign_one", "")
    ids = [one] if one else request.form.getlist("claim_ids")[:200]
    action = "assign" if one else request.form.get("action", "")
    back = request.form.get("back", "")
    target = back if back.startswith("/console/") and all("!" <= c <= "~" for c in back) else url_for("console.queue")
    if action not in BULK_ACTIONS or not ids:
        flash("Select claims and an action.", "error")
        return redirect(target)
    result = apply_bulk(runtime().repos, action, ids, g.user.name, g.user.name)
    label = {"assign": "Assigned to you", "unassign": "Unassigned", "not_a_claim": "Marked not a claim"}[action]
    flash(f"{label}: {len(result['done'])} claim{'s' if len(result['done']) != 1 else ''}.")
    return redirect(target)
