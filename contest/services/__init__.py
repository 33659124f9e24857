"""Writes of the contest app: entries (entries.py), moderation (moderation.py), public
reports and the moderators' digest (reports.py). Import from here."""

from contest.services.entries import (
    EntryDraft,
    EntryRefused,
    SignInRateLimited,
    enrollment_accept,
    entry_submit,
    participant_confirm_parent,
    participant_parent_from_token,
    participant_request_signin,
    participant_send_parent_request,
    participant_update_profile,
    participant_verify_email,
)

__all__ = [
    "EntryDraft",
    "EntryRefused",
    "SignInRateLimited",
    "enrollment_accept",
    "entry_submit",
    "participant_confirm_parent",
    "participant_parent_from_token",
    "participant_request_signin",
    "participant_send_parent_request",
    "participant_update_profile",
    "participant_verify_email",
]
