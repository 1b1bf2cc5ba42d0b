"""The console's pages: sign in and out, the claim queue, a claim, an article, a speaker.

Views call the store directly (no HTTP round trip to the API) and apply the same rules: a
verdict goes through `VerdictRepository.update` with the version the form was rendered
with, so a stale form overwrites nothing; confirm and split go through `link_claim` and
`split_claim`. Who did it is the signed-in key's name, as in the API's audit trail.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import (Blueprint, Response, abort, current_app, flash, g, json, redirect, render_template, request,
                   session, url_for)
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..auth import AUTH_FAILURES, Principal, authenticate, authenticate_digest, client_address, secret_digest
from ..claimreview import MEDIA_TYPE as CLAIMREVIEW_MEDIA_TYPE
from ..claimreview import claim_review
from ..problems import Problem
from ..runtime import runtime
from ..store import (CLAIM_TYPES, STANCES, VERDICTS, VERIFICATION_STATUSES, BadCursor, Conflict, NotFound,
                     VersionMismatch, words)
from ..store.claim_page import ClaimPage
from .context import article_context, claim_context
from .forms import ClusterForm, MergeForm, RenameForm, SignInForm, VerdictForm
from .queue_rows import queue_rows
from .text import highlighted, paragraphs, readable_time

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

PAGE_SIZE = 50
#: The claim page looks for suggestions among the speaker's newest claims only, to stay fast
#: for speakers with thousands of claims (comparing with each costs about 30 us, and the page
#: is opened all day); repeats of a claim are mostly recent. The API's /similar looks further
#: (SIMILAR_SCAN).
CONSOLE_SIMILAR_SCAN = 100
#: How many suggestions the claim page shows at most.
CONSOLE_SUGGESTIONS = 10
FILTERS = ("status", "stance", "type", "speaker", "article", "q", "min_confidence", "assigned")
#: Console pages' security headers: no inline or foreign script (console.js is the only one),
#: no framing (clickjacking), no content sniffing, no full URLs sent to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


#: Flask-WTF's CSRF check, run for the console's POSTs only (`check_csrf`).
csrf = CSRFProtect()


@bp.before_request
def storage_reachable() -> None:
    """A session that could not be read because Redis is unavailable: the app's handler
    answers 503 (`sessions.RedisSessionInterface`), before any view runs."""
    unavailable = getattr(session, "unavailable", None)
    if unavailable is not None:
        raise unavailable


@bp.before_request
def check_csrf() -> None:
    """Refuse a POST without this session's CSRF token, before anything else runs. The
    key that signs tokens is shared by every API process through the store."""
    if not current_app.config.get("WTF_CSRF_SECRET_KEY"):
        current_app.config["WTF_CSRF_SECRET_KEY"] = runtime().repos.sessions.console_secret()
    if request.method == "POST":
        csrf.protect()


@bp.errorhandler(CSRFError)
def csrf_refused(_: CSRFError) -> Any:
    return render_template("error.html", title="Form refused", message=(
        "This form has no valid security token (it may come from another site, or your session "
        "ended). Reload the page and try again.")), 400


@bp.errorhandler(403)
def forbidden(_: Any) -> Any:
    return render_template("error.html", title="Not allowed",
                           message="Your API key's role does not allow this."), 403


@bp.errorhandler(404)
def not_found(_: Any) -> Any:
    return render_template("error.html", title="Not found", message="There is nothing at this address."), 404


@bp.errorhandler(409)
def no_verdict(_: Any) -> Any:
    return render_template("error.html", title="No verdict yet",
                           message="A ClaimReview needs a verdict on the claim."), 409


@bp.after_request
def private(response: Response) -> Response:
    """Console pages are one user's: no shared cache may keep them."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    response.vary.add("Cookie")
    return response


def current_user() -> Principal | None:
    return g.get("user")


def _can(role: str) -> bool:
    user = current_user()
    return user is not None and user.can(role)


@bp.app_template_global()
def can(role: str) -> bool:
    return _can(role)


@bp.app_template_filter("readable_time")
def readable_time_filter(value: str | None) -> str:
    return readable_time(value)


@bp.before_request
def load_user() -> Any:
    g.user = None
    key = session.get("key")
    if key:
        user = authenticate_digest(key)
        if user is None or not user.can("read"):
            session.clear()
        else:
            g.user = user
    if request.endpoint in ("console.sign_in", "console.static"):
        return None
    if g.user is None:
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.sign_in", next=wanted))
    return None


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page, spelt in printable ASCII as the console's
    own links are. Anything else (another site, a control character that would reach the
    Location header: a CR/LF there is a 500) lands on the queue."""
    if target and target.startswith("/console/") and all("!" <= c <= "~" for c in target):
        return target
    return url_for("console.queue")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    form = SignInForm()
    if request.method == "POST":
        # Failed sign-ins count against the client address with failed API keys (limits.py):
        # past CLAIMTRACK_AUTH_FAILURE_LIMIT, no key is even checked until the window has room.
        failures = current_app.extensions.get(AUTH_FAILURES)
        address = client_address()
        if failures is not None:
            try:
                failures.refuse_if_exceeded(address)
            except Problem as limited:
                retry = limited.extra_headers.get("Retry-After", "60")
                response = Response(render_template("sign_in.html", form=form, error=(
                    f"Too many failed sign-ins from your address; try again in {retry} seconds.")), 429)
                response.headers["Retry-After"] = retry
                return response
        if form.validate_on_submit():
            secret = form.api_key.data.strip()
            user = authenticate(secret)
            if user is not None and user.can("read"):
                session.clear()
                session.regenerate()  # type: ignore[attr-defined]
                session["key"] = secret_digest(secret)
                session["user"] = user.name
                current_app.logger.info("console sign-in", extra={"user": user.name})
                return redirect(_safe_next(request.args.get("next")))
            if user is None and failures is not None:
                failures.record(address)
            error = ("This API key has no read role." if user is not None
                     else "That API key is not valid.")
            return render_template("sign_in.html", form=form, error=error), 401
    elif g.user is not None:
        return redirect(url_for("console.queue"))
    return render_template("sign_in.html", form=form, error=None)


@bp.post("/sign-out")
def sign_out() -> Any:
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.sign_in"))


@bp.get("/")
def index() -> Any:
    return redirect(url_for("console.queue"))


def _filters() -> dict[str, str]:
    return {name: request.args[name].strip() for name in FILTERS if request.args.get(name, "").strip()}


@bp.get("/claims")
def queue() -> Any:
    rt = runtime()
    chosen = _filters()
    problems: list[str] = []
    args: dict[str, Any] = {}
    for name, allowed, key in (("status", VERIFICATION_STATUSES, "status"), ("stance", STANCES, "stance"),
                               ("type", CLAIM_TYPES, "claim_type")):
        if name in chosen:
            if chosen[name] in allowed:
                args[key] = chosen[name]
            else:
                problems.append(f"Unknown {name} {chosen[name]!r}.")
    if "speaker" in chosen:
        args["speaker"] = chosen["speaker"][:300]
    if "article" in chosen:
        args["article_id"] = chosen["article"][:100]
    if chosen.get("assigned") == "mine":
        args["assignee"] = current_user().name  # type: ignore[union-attr]
    elif chosen.get("assigned") == "unassigned":
        args["unassigned"] = True
    elif "assigned" in chosen:
        problems.append(f"Unknown assignment filter {chosen['assigned']!r}.")
    if "q" in chosen:
        found = words(chosen["q"][:500])
        if not rt.config.search_index:
            problems.append("Text search is turned off on this service.")
        elif not found:
            problems.append("Give at least one word that is not a very common word.")
        else:
            args["query"] = found
    minimum = None
    if "min_confidence" in chosen:
        try:
            minimum = float(chosen["min_confidence"])
            if not 0 <= minimum <= 1:
                raise ValueError
        except ValueError:
            problems.append("Minimum confidence is a number from 0 to 1.")
            minimum = None
    cursor = request.args.get("cursor") or None
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not problems:
        try:
            page = rt.repos.claims.list(cursor=cursor, limit=PAGE_SIZE, **args)
        except BadCursor:
            problems.append("That page link is not valid; start again from the first page.")
        else:
            items, next_cursor = page.items, page.next_cursor
            if minimum is not None:
                # A page may come back short (the API's lists do too); the cursor goes on.
                items = [c for c in items if c["confidence"] >= minimum]
    claims_url = url_for("console.queue")
    next_url = claims_url + "?" + urlencode({**chosen, "cursor": next_cursor}) if next_cursor else None
    rows = queue_rows(items, _can("verify"), claims_url)
    return render_template("queue.html", rows=rows, claims_url=claims_url, chosen=chosen, here=request.full_path,
                           problems=problems, next_url=next_url,
                           statuses=VERIFICATION_STATUSES, stances=STANCES, types=CLAIM_TYPES,
                           first_page=cursor is None), 400 if problems else 200


def _claim_or_404(cid: str) -> dict[str, Any]:
    claim = runtime().repos.claims.get(cid)
    if claim is None:
        abort(404)
    return claim


def _claim_page_or_404(cid: str) -> ClaimPage:
    """The claim and everything its page shows, in a few round trips (`ClaimRepository.review_page`)."""
    page = runtime().repos.claims.review_page(cid, limit=CONSOLE_SUGGESTIONS, scan=CONSOLE_SIMILAR_SCAN)
    if page is None:
        abort(404)
    return page


def _verdict_form(claim: dict[str, Any]) -> VerdictForm:
    verification = claim["verification"]
    return VerdictForm(formdata=None, data={
        "status": verification["status"], "note": verification["note"] or "",
        "evidence": "\n".join(verification["evidence"]), "review_url": verification["review_url"] or "",
        "version": claim["version"]})


def _render_claim(page: ClaimPage, form: VerdictForm, conflict: dict[str, Any] | None = None,
                  status: int = 200) -> Any:
    claim = page.claim
    article = page.article or {"text": "", "title": None}
    text = article["text"]
    span = (claim["span"]["start"], claim["span"]["end"])
    paragraph = next(((s, e) for s, e in paragraphs(text) if s <= span[0] < e), span)
    shown = highlighted(text, [claim], active=claim["id"], bounds=paragraph)
    return render_template(
        "claim.html", claim=claim, article=article, paragraphs=shown, form=form, conflict=conflict,
        history=list(reversed(page.history)), cluster=page.cluster, suggestions=page.suggestions,
        verdicts=VERDICTS, **claim_context(page)), status


@bp.get("/claims/<cid>")
def claim_page(cid: str) -> Any:
    page = _claim_page_or_404(cid)
    return _render_claim(page, _verdict_form(page.claim))


@bp.post("/claims/<cid>/verdict")
def set_verdict(cid: str) -> Any:
    if not _can("verify"):
        abort(403)
    repos = runtime().repos
    _claim_or_404(cid)
    form = VerdictForm()
    if not form.validate_on_submit():
        return _render_claim(_claim_page_or_404(cid), form, status=422)
    try:
        repos.verdicts.update(cid, form.changes(), by=current_user().name,  # type: ignore[union-attr]
                                  expected_versions=[form.version.data])
    except NotFound:
        abort(404)
    except VersionMismatch as stale:
        page = _claim_page_or_404(cid)
        changes = page.history[-max(1, stale.current - form.version.data):]
        form.version.data = page.claim["version"]
        conflict = {"theirs": page.claim["verification"], "changes": list(reversed(changes)),
                    "version": stale.current}
        return _render_claim(page, form, conflict=conflict, status=409)
    flash("Verdict saved.")
    return redirect(url_for("console.claim_page", cid=cid))


@bp.post("/claims/<cid>/confirm")
def confirm(cid: str) -> Any:
    """Link a suggested claim's cluster and this claim: this claim joins that cluster."""
    return _cluster_action(cid, "link")


@bp.post("/claims/<cid>/split")
def split(cid: str) -> Any:
    return _cluster_action(cid, "split")


def _cluster_action(cid: str, action: str) -> Any:
    if not _can("verify"):
        abort(403)
    form = ClusterForm()
    if not form.validate_on_submit():
        abort(400)
    repos = runtime().repos
    by = current_user().name  # type: ignore[union-attr]
    try:
        if action == "link":
            repos.clusters.link(form.cluster_id.data, form.claim_id.data, by=by)
            flash(f"Linked {form.claim_id.data} into cluster {form.cluster_id.data}.")
        else:
            repos.clusters.split(form.cluster_id.data, form.claim_id.data, by=by)
            flash(f"Split {form.claim_id.data} out of cluster {form.cluster_id.data}.")
    except NotFound:
        flash("That claim or cluster no longer exists as shown; the page is now current.", "error")
    except Conflict as refused:
        flash(f"Not done: {refused}.", "error")
    return redirect(url_for("console.claim_page", cid=cid))


@bp.get("/claims/<cid>/claimreview.json")
def claimreview(cid: str) -> Any:
    """The claim's ClaimReview (JSON-LD), as the API gives it with ``?draft=true``."""
    rt = runtime()
    claim = _claim_or_404(cid)
    if claim["verification"]["status"] not in VERDICTS:
        abort(409)
    document = claim_review(claim, rt.repos.clusters.get(claim["cluster_id"]), rt.config.reviewer_name,
                            rt.config.reviewer_url or None)
    return current_app.response_class(json.dumps(document, ensure_ascii=False), mimetype=CLAIMREVIEW_MEDIA_TYPE)


def _is_superseded(claim: dict[str, Any]) -> bool:
    """A claim a correction of its article no longer contains (kept with its verdict)."""
    return claim.get("superseded_in_revision") is not None


@bp.get("/articles/<aid>")
def article_page(aid: str) -> Any:
    repos = runtime().repos
    article = repos.articles.get(aid)
    if article is None:
        abort(404)
    claims: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = repos.claims.of_article(aid, cursor=cursor, limit=500, include=frozenset({"not_a_claim", "superseded"}))
        claims += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    current = [c for c in claims if not _is_superseded(c)]
    superseded = [c for c in claims if _is_superseded(c)]
    return render_template("article.html", article=article, claims=current, superseded=superseded,
                           paragraphs=highlighted(article["text"], current), **article_context(article))


@bp.route("/speakers/<sid>", methods=["GET"])
def speaker_page(sid: str) -> Any:
    repos = runtime().repos
    speaker = repos.speakers.get(sid)
    if speaker is None:
        abort(404)
    if speaker["id"] != sid:
        return redirect(url_for("console.speaker_page", sid=speaker["id"]))
    try:
        page = repos.speakers.claims(sid, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
    except BadCursor:
        abort(400)
    next_url = url_for("console.speaker_page", sid=sid, cursor=page.next_cursor) if page and page.next_cursor else None
    return render_template("speaker.html", speaker=speaker, claims=page.items if page else [], next_url=next_url,
                           rename_form=RenameForm(formdata=None), merge_form=MergeForm(formdata=None))


@bp.post("/speakers/<sid>/rename")
def rename_speaker(sid: str) -> Any:
    if not _can("admin"):
        abort(403)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            runtime().repos.speakers.rename(sid, form.name.data.strip())
            flash("Speaker renamed.")
        except NotFound:
            abort(404)
        except Conflict as refused:
            flash(f"Not renamed: {refused}.", "error")
    else:
        flash("Give the new name.", "error")
    return redirect(url_for("console.speaker_page", sid=sid))


@bp.post("/speakers/<sid>/merge")
def merge_speaker(sid: str) -> Any:
    if not _can("admin"):
        abort(403)
    form = MergeForm()
    if form.validate_on_submit():
        into = form.into.data.strip()
        try:
            runtime().repos.speakers.merge(sid, into)
        except NotFound:
            flash(f"No speaker {into!r}.", "error")
        except Conflict as refused:
            flash(f"Not merged: {refused}.", "error")
        else:
            flash("Speakers merged.")
            return redirect(url_for("console.speaker_page", sid=into))
    return redirect(url_for("console.speaker_page", sid=sid))
