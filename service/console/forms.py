"""The console's forms (Flask-WTF: each carries a CSRF token and validates on the server)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..store import CLAIM_TYPES, CORRECTABLE, SPEAKER_KINDS, STANCES, VERIFICATION_STATUSES

MAX_EVIDENCE = 50
MAX_URL = 2048


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= MAX_URL


class SignInForm(FlaskForm):
    api_key = PasswordField("API key", validators=[DataRequired(), Length(max=500)],
                            render_kw={"autocomplete": "off"})


class VerdictForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(s, s.replace("_", " ")) for s in VERIFICATION_STATUSES])
    note = TextAreaField("Note", validators=[Optional(), Length(max=10_000)])
    evidence = TextAreaField("Evidence URLs (one per line)", validators=[Optional()])
    review_url = StringField("Review URL (the published fact-check)", validators=[Optional(), Length(max=MAX_URL)])
    version = IntegerField(widget=HiddenField.widget, validators=[DataRequired(), NumberRange(min=1)])

    def validate_evidence(self, field: TextAreaField) -> None:
        urls = self.evidence_urls()
        if len(urls) > MAX_EVIDENCE:
            raise ValidationError(f"At most {MAX_EVIDENCE} evidence URLs.")
        bad = [u for u in urls if not _is_web_url(u)]
        if bad:
            raise ValidationError(f"Not an http(s) URL: {bad[0][:200]}")

    def validate_review_url(self, field: StringField) -> None:
        if field.data and not _is_web_url(field.data.strip()):
            raise ValidationError("Give the http(s) address of the published fact-check.")

    def evidence_urls(self) -> list[str]:
        return [line.strip() for line in (self.evidence.data or "").splitlines() if line.strip()]

    def changes(self) -> dict[str, object]:
        return {
            "status": self.status.data,
            "note": (self.note.data or "").strip() or None,
            "evidence": self.evidence_urls(),
            "review_url": (self.review_url.data or "").strip() or None,
        }


class ClusterForm(FlaskForm):
    """Confirm a suggestion (link a claim into a cluster) or split a claim out of one."""

    cluster_id = HiddenField(validators=[DataRequired(), Length(max=100)])
    claim_id = HiddenField(validators=[DataRequired(), Length(max=100)])


class RenameForm(FlaskForm):
    name = StringField("New name", validators=[DataRequired(), Length(max=300)])


class MergeForm(FlaskForm):
    into = StringField("Merge into speaker id", validators=[DataRequired(), Length(max=100)])


class CorrectionForm(FlaskForm):
    """One of the claim page's correction forms; `field` says which, and only its inputs count."""

    field = HiddenField(validators=[DataRequired(), AnyOf(CORRECTABLE)])
    version = IntegerField(widget=HiddenField.widget, validators=[DataRequired(), NumberRange(min=1)])
    speaker_id = StringField(validators=[Optional(), Length(max=100)])
    name = StringField(validators=[Optional(), Length(max=300)])
    kind = SelectField(choices=list(SPEAKER_KINDS), validators=[Optional()], validate_choice=False)
    title = StringField(validators=[Optional(), Length(max=300)])
    start = IntegerField(validators=[Optional(), NumberRange(min=0)])
    end = IntegerField(validators=[Optional(), NumberRange(min=1)])
    stance = SelectField(choices=list(STANCES), validators=[Optional()], validate_choice=False)
    type = SelectField(choices=list(CLAIM_TYPES), validators=[Optional()], validate_choice=False)

    def validate_kind(self, field: SelectField) -> None:
        if self.field.data == "speaker" and self.name.data and field.data not in SPEAKER_KINDS:
            raise ValidationError("Choose the new speaker's kind.")

    def validate_stance(self, field: SelectField) -> None:
        if self.field.data == "stance" and field.data not in STANCES:
            raise ValidationError("Choose a stance.")

    def validate_type(self, field: SelectField) -> None:
        if self.field.data == "type" and field.data not in CLAIM_TYPES:
            raise ValidationError("Choose a type.")


class NewClaimForm(FlaskForm):
    """The article page's "add a missed claim" form: the selected words' span and a speaker."""

    start = IntegerField(validators=[InputRequired(message="Select the claim's words in the text."),
                                     NumberRange(min=0)])
    end = IntegerField(validators=[InputRequired(message="Select the claim's words in the text."),
                                   NumberRange(min=1)])
    speaker_id = StringField(validators=[Optional(), Length(max=100)])
    name = StringField(validators=[Optional(), Length(max=300)])
    kind = SelectField(choices=list(SPEAKER_KINDS), validate_choice=True)
    title = StringField(validators=[Optional(), Length(max=300)])
    stance = SelectField(choices=list(STANCES))
    type = SelectField(choices=list(CLAIM_TYPES))
