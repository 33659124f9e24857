from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from social.models import HashtagClaimEvent, SocialAccount, SocialPost
from social.services import account_token_set


class SocialAccountForm(forms.ModelForm):
    # Write-only: the stored token is never sent back to a browser, not even masked.
    access_token = forms.CharField(
        label=_("Page access token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "A long-lived Page access token with the pages_manage_posts, "
            "instagram_content_publish and instagram_basic permissions. Leave empty to keep "
            "the current one."
        ),
    )

    class Meta:
        model = SocialAccount
        fields = (
            "name",
            "facebook_page_id",
            "instagram_user_id",
            "access_token",
            "token_expires_at",
            "active",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.token_encrypted and not data.get("access_token"):
            self.add_error("access_token", _("Enter the Page access token."))
        if not data.get("facebook_page_id") and not data.get("instagram_user_id"):
            self.add_error("facebook_page_id", _("Enter a Facebook Page id or an Instagram id."))
        return data


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    form = SocialAccountForm
    list_display = (
        "name",
        "facebook_page_id",
        "instagram_user_id",
        "token_shown",
        "token_expires_at",
        "token_rejected_at",
        "active",
    )
    readonly_fields = ("token_shown", "token_rejected_at")

    @admin.display(description=_("current token"))
    def token_shown(self, account: SocialAccount) -> str:
        if not account.token_encrypted:
            return "—"
        return f"…{account.token_hint}" if account.token_hint else "••••"

    def save_model(self, request: HttpRequest, obj: SocialAccount, form: Any, change: bool) -> None:
        token = form.cleaned_data.get("access_token")
        if token:
            account_token_set(account=obj, token=token)
        else:
            obj.save()


@admin.register(SocialPost)
class SocialPostAdmin(admin.ModelAdmin):
    list_display = ("scheduled_at", "network", "entry", "state", "attempts", "permalink")
    list_filter = ("state", "network")
    raw_id_fields = ("entry", "account", "scheduled_by")
    readonly_fields = (
        "entry",
        "account",
        "network",
        "caption",
        "crop",
        "scheduled_at",
        "next_attempt_at",
        "state",
        "attempts",
        "container_id",
        "remote_id",
        "permalink",
        "last_error",
        "scheduled_by",
        "posted_at",
        "withdrawn_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # scheduled from the relay page, with its checks


@admin.register(HashtagClaimEvent)
class HashtagClaimEventAdmin(admin.ModelAdmin):
    """The audit log of claims is read-only: history is not edited. Decisions are made on
    the candidates page, with their checks."""

    list_display = ("created_at", "claim", "action", "actor", "from_state", "to_state", "note")
    list_filter = ("action",)
    search_fields = ("claim__handle", "actor__username", "note")
    raw_id_fields = ("claim", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
