"""Pages of the entry flow: sign in by link, profile, rules, upload, my entries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from contest import rights, selectors, services
from contest.devices import device_class
from contest.exclusion import exclusion_of
from contest.forms import (
    ConsentForm,
    EntryPlaceForm,
    ProfileForm,
    SignInForm,
    entry_formset_class,
)
from contest.models import Contest, Entry, Participant
from core.http import AuthenticatedHttpRequest
from core.network import client_ip
from core.views import too_many_requests

View = Callable[..., HttpResponse]


def _safe_next(request: HttpRequest, url: str | None, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _base_url(request: HttpRequest) -> str:
    """The site as this visitor reached it: e-mailed links lead back to the same server."""
    return request.build_absolute_uri("/")


def _participant(request: AuthenticatedHttpRequest) -> Participant:
    return services.participant_verify_email(user=request.user)


def _contest_or_404(slug: str) -> Contest:
    contest = selectors.contest_get_public(slug=slug)
    if contest is None:
        raise Http404
    return contest


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "contest/home.html", {"contests": selectors.contests_open()})


def _ask_confirmation(
    request: HttpRequest,
    participant: Participant,
    action: str,
    *,
    sent: str,
    entry_id: int | None = None,
) -> None:
    """E-mails the link that confirms a data-rights step, and says so (or why not)."""
    try:
        rights.rights_request_send(
            participant=participant,
            action=action,
            entry_id=entry_id,
            language=get_language(),
            base_url=_base_url(request),
        )
    except rights.RightsRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, sent)


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"), "/")
    # "pour=voter": sent by a photo's vote button, so the page and the e-mail speak of a vote.
    for_vote = (request.POST.get("pour") or request.GET.get("pour")) == "voter"
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            services.participant_request_signin(
                email=email,
                next_url=next_url,
                ip_address=client_ip(request),
                language=get_language(),
                base_url=_base_url(request),
                for_vote=for_vote,
            )
        except services.SignInRateLimited as limited:
            form.add_error("email", limited.message)
            context = {"form": form, "next": next_url, "for_vote": for_vote}
            return too_many_requests(
                request, limited, template="contest/signin.html", context=context
            )
        else:
            return render(
                request,
                "contest/signin_sent.html",
                {"email": email, **selectors.signin_link_lifetime()},
            )
    return render(
        request, "contest/signin.html", {"form": form, "next": next_url, "for_vote": for_vote}
    )


@sensitive_post_parameters(settings.SESAME_TOKEN_NAME)
@require_http_methods(["GET", "POST"])
def signin_link(request: HttpRequest) -> HttpResponse:
    """Where the e-mailed link lands, on whichever device opened the mail.

    Opening the link only shows a Continue button that posts the token: mail scanners and
    previews open links too, and a link works once. The post signs in.
    """
    data = request.POST if request.method == "POST" else request.GET
    token = data.get(settings.SESAME_TOKEN_NAME, "")
    next_url = _safe_next(request, data.get("suite"), "/")
    if request.method == "POST":
        user = services.participant_use_signin_link(token=token)
        if user is not None:
            login(request, user, backend="sesame.backends.ModelBackend")
            return redirect(next_url)
    elif selectors.signin_link_valid(token=token):
        return render(
            request,
            "contest/signin_link.html",
            {"token_name": settings.SESAME_TOKEN_NAME, "token": token, "next": next_url},
        )
    return render(request, "contest/signin_invalid.html", {"next": next_url}, status=400)


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.participant_revoke_signin_links(user=request.user)
    logout(request)
    return redirect("contest:home")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    participant = _participant(request)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"), "/")
    form = ProfileForm(request.POST or None, instance=participant, own_email=participant.email)
    if request.method == "POST" and form.is_valid():
        # The form is not saved: the service decides what changes and what is mailed.
        participant.refresh_from_db()
        services.participant_update_profile(
            participant=participant,
            credit_name=form.cleaned_data["credit_name"],
            age_bracket=form.cleaned_data["age_bracket"],
            parent_email=form.cleaned_data.get("parent_email") or "",
            language=get_language(),
            base_url=_base_url(request),
        )
        return redirect(next_url)
    return render(
        request,
        "contest/profile.html",
        {"form": form, "next": next_url, "participant": participant},
    )


@login_required
@require_POST
def parent_resend(request: AuthenticatedHttpRequest) -> HttpResponse:
    participant = _participant(request)
    if participant.needs_parent_confirmation and participant.parent_email:
        services.participant_send_parent_request(
            participant=participant, language=get_language(), base_url=_base_url(request)
        )
        messages.success(request, _("We sent the link to your parent again."))
    return redirect(_safe_next(request, request.POST.get("next"), "/"))


@require_http_methods(["GET", "POST"])
def parent_confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that open links must not give consent.
    participant = services.participant_parent_from_token(token=token)
    if participant is None:
        return render(request, "contest/parent_invalid.html", status=400)
    if request.method == "POST":
        services.participant_confirm_parent(token=token)
        return render(request, "contest/parent_done.html", {"participant": participant})
    # The parent sees what they agree to before the button: the contests, their rules and
    # the uses of the photos each one asks for.
    contests = selectors.contests_for_parent(participant=participant)
    return render(
        request,
        "contest/parent_confirm.html",
        {"participant": participant, "contests": contests, "token": token},
    )


@require_POST
def parent_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """A parent asks, from their confirmation page, for a link to withdraw their agreement."""
    participant = services.participant_parent_from_token(token=token)
    if participant is None:
        return render(request, "contest/parent_invalid.html", status=400)
    _ask_confirmation(
        request,
        participant,
        rights.Action.WITHDRAW_PARENT,
        sent=_("We sent you an e-mail: open its link to confirm the withdrawal of your agreement."),
    )
    return redirect("contest:parent_confirm", token=token)


def contest_step(view: View) -> View:
    """Sends the participant to the step they are missing before the wrapped page."""

    @wraps(view)
    def wrapper(
        request: AuthenticatedHttpRequest, slug: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        contest = _contest_or_404(slug)
        here = request.get_full_path()
        if not request.user.is_authenticated:
            return render(
                request,
                "contest/signin.html",
                {"form": SignInForm(), "next": here, "contest": contest},
            )
        participant = _participant(request)
        if not participant.profile_complete:
            return redirect(f"{reverse('contest:profile')}?next={here}")
        if participant.needs_parent_confirmation:
            return render(
                request,
                "contest/parent_waiting.html",
                {"contest": contest, "participant": participant, "next": here},
            )
        return view(request, contest, participant, *args, **kwargs)

    return wrapper


@contest_step
def enter(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant
) -> HttpResponse:
    """The contest's entry point: rules first, then the upload form."""
    if selectors.enrollment_current(contest=contest, participant=participant) is None:
        return redirect("contest:rules", slug=contest.slug)
    return redirect("contest:upload", slug=contest.slug)


@contest_step
@require_http_methods(["GET", "POST"])
def rules(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant
) -> HttpResponse:
    form = ConsentForm(request.POST or None, contest=contest)
    if request.method == "POST" and form.is_valid():
        services.enrollment_accept(
            contest=contest,
            participant=participant,
            allows_gallery=form.cleaned_data.get("allows_gallery", False),
            allows_social=form.cleaned_data.get("allows_social", False),
            allows_print=form.cleaned_data.get("allows_print", False),
            ip_address=client_ip(request),
        )
        return redirect("contest:upload", slug=contest.slug)
    # The staff exclusion's policy and domains (never its single addresses).
    staff = exclusion_of(contest)
    return render(request, "contest/rules.html", {"contest": contest, "form": form, "staff": staff})


@contest_step
@require_http_methods(["GET", "POST"])
def upload(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant
) -> HttpResponse:
    if selectors.enrollment_current(contest=contest, participant=participant) is None:
        return redirect("contest:rules", slug=contest.slug)
    remaining = selectors.photos_remaining(contest=contest, participant=participant)
    context: dict[str, Any] = {
        "contest": contest,
        "remaining": remaining,
        "accepting": contest.is_accepting_entries(),
        "max_mb": settings.PHOTO_MAX_BYTES // (1024 * 1024),
        "max_megapixels": settings.PHOTO_MAX_PIXELS // 1_000_000,
        "min_side": settings.PHOTO_MIN_SHORT_SIDE,
    }
    if remaining <= 0 or not context["accepting"]:
        return render(request, "contest/upload.html", context)
    if request.method == "POST":
        # Before the formset below decodes the photos: nothing of a refused upload is decoded
        # or stored (the CSRF check has parsed the body into temporary files, which Django
        # deletes). UploadRateLimited becomes the 429 answer (core.middleware).
        services.entry_upload_count(participant=participant, ip_address=client_ip(request))
    formset = entry_formset_class(remaining=remaining)(
        request.POST or None,
        request.FILES or None,
        form_kwargs={"contest": contest},
        prefix="photos",
    )
    if request.method == "POST" and formset.is_valid():
        # The filled blocks, whichever they are: a refusal's index is among these.
        used = [form for form in formset.forms if form.has_changed() and form.info is not None]
        drafts = [
            services.EntryDraft(
                upload=form.cleaned_data["photo"],
                info=form.info,
                title=form.cleaned_data["title"],
                caption=form.cleaned_data["caption"],
                theme=form.cleaned_data.get("theme"),
                line=form.cleaned_data.get("line"),
                stop=form.cleaned_data.get("stop"),
            )
            for form in used
        ]
        try:
            entries = services.entry_submit(
                contest=contest,
                participant=participant,
                drafts=drafts,
                device=device_class(request.headers.get("User-Agent", "")),
            )
        except services.EntryRefused as exc:
            if exc.index is not None and exc.index < len(used):
                form = used[exc.index]
                form.add_error(exc.field if exc.field in form.fields else "photo", exc.message)
            else:
                context["refusal"] = exc.message
        else:
            messages.success(
                request,
                ngettext(
                    "Thank you! Your photo is received. We are preparing it.",
                    "Thank you! Your %(n)s photos are received. We are preparing them.",
                    len(entries),
                )
                % {"n": len(entries)},
            )
            _advise(request, contest, drafts)
            target = reverse("contest:my_entries", args=[contest.slug])
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return HttpResponseRedirect(target)
    context["formset"] = formset
    template = "contest/fragment_upload_form.html" if request.htmx else "contest/upload.html"
    # htmx swaps only 2xx answers: the form with its errors goes back as 200 to htmx.
    status = 400 if request.method == "POST" and not request.htmx else 200
    return render(request, template, context, status=status)


def _advise(request: HttpRequest, contest: Contest, drafts: list[services.EntryDraft]) -> None:
    """Tells the rider, without refusing anything, what the contest thinks of each photo
    (e.g. too small to print on a cover: better send the original than a chat copy)."""
    for draft in drafts:
        size = (draft.info.width, draft.info.height)
        for advice in services.upload_advice(contest_id=contest.pk, size=size):
            # "photo.jpg : ..." in French: the punctuation is the language's.
            messages.warning(
                request, _("%(file)s: %(advice)s") % {"file": draft.upload.name, "advice": advice}
            )


@login_required
def my_photos(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The header's "My photos": the rider's photos in the contest they entered last."""
    contest = selectors.contest_last_entered(participant=_participant(request))
    if contest is None:
        messages.info(request, _("You have not taken part in a contest yet."))
        return redirect("contest:home")
    return redirect("contest:my_entries", slug=contest.slug)


@contest_step
def my_entries(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant
) -> HttpResponse:
    entries = [
        (entry, selectors.entry_state(entry), selectors.thumbs_of(entry))
        for entry in selectors.entries_of_participant(contest=contest, participant=participant)
    ]
    signature = hashlib.sha256(
        repr([(entry.pk, state.code, sorted(thumbs)) for entry, state, thumbs in entries]).encode()
    ).hexdigest()[:16]
    if request.htmx and request.GET.get("v") == signature:
        return HttpResponse(status=204)  # nothing changed: htmx keeps the page as it is
    context = {
        "contest": contest,
        "signature": signature,
        "entries": entries,
        "busy": any(state.busy for _entry, state, _thumbs in entries),
        "remaining": selectors.photos_remaining(contest=contest, participant=participant),
        "accepting": contest.is_accepting_entries(),
    }
    if not request.htmx:
        context["uses"] = selectors.uses_of(contest=contest, participant=participant)
    template = "contest/fragment_entries.html" if request.htmx else "contest/my_entries.html"
    return render(request, template, context)


@contest_step
@require_http_methods(["GET", "POST"])
def entry_place(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, entry_id: int
) -> HttpResponse:
    """Sets or changes the line and stop of one of the rider's photos, until moderation."""
    entry = selectors.entry_of_participant(
        contest=contest, participant=participant, entry_id=entry_id
    )
    if entry is None or contest.network_id is None:
        raise Http404
    back = reverse("contest:my_entries", args=[contest.slug])
    if entry.moderation != Entry.Moderation.PENDING:
        messages.error(
            request, _("This photo has been moderated: its line and stop can no longer be changed.")
        )
        return redirect(back)
    form = EntryPlaceForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_update_place(
                entry=entry,
                participant=participant,
                line=form.cleaned_data["line"],
                stop=form.cleaned_data["stop"],
            )
        except services.EntryRefused as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
                return redirect(back)
        else:
            messages.success(
                request,
                _("The line and stop of “%(title)s” are saved.") % {"title": entry.title},
            )
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "contest/entry_place.html",
        {"contest": contest, "entry": entry, "form": form},
        status=status,
    )


@contest_step
@require_POST
def entry_withdraw(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, entry_id: int
) -> HttpResponse:
    """Asks for a confirmation link to withdraw one of the rider's photos."""
    _ask_confirmation(
        request,
        participant,
        rights.Action.WITHDRAW_ENTRY,
        entry_id=entry_id,
        sent=_("We sent you an e-mail: open its link to confirm the withdrawal of your photo."),
    )
    return redirect("contest:my_entries", slug=contest.slug)


@contest_step
@require_POST
def use_withdraw(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, use: str
) -> HttpResponse:
    """Withdraws the rider's consent to one use of their photos in this contest."""
    try:
        rights.enrollment_withdraw_use(contest_id=contest.pk, participant=participant, use=use)
    except rights.RightsRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your choice is saved: that use is withdrawn."))
    return redirect("contest:my_entries", slug=contest.slug)


@login_required
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The participant's data rights: download everything, delete the account."""
    return render(request, "contest/my_data.html", {"participant": _participant(request)})


@login_required
@require_POST
def my_data_download(request: AuthenticatedHttpRequest) -> FileResponse:
    """A ZIP of everything held about the participant (a post: it writes an audit row)."""
    archive = rights.participant_export(participant=_participant(request))
    response = FileResponse(
        archive, as_attachment=True, filename="mes-donnees.zip", content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Asks for a confirmation link to delete the participant's account."""
    _ask_confirmation(
        request,
        _participant(request),
        rights.Action.DELETE_ACCOUNT,
        sent=_("We sent you an e-mail: open its link to confirm the deletion of your account."),
    )
    return redirect("contest:my_data")


@require_http_methods(["GET", "POST"])
def rights_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Where a data-rights confirmation link lands: GET shows what will happen and a button
    (mail scanners open links too), the post does it."""
    try:
        if request.method == "POST":
            done = rights.rights_confirm(token=token, user=request.user)
        else:
            asked = rights.rights_request_get(token=token, user=request.user)
            return render(request, "contest/rights_confirm.html", {"asked": asked})
    except rights.RightsLinkInvalid as exc:
        return render(request, "contest/rights_invalid.html", {"reason": exc.message}, status=400)
    if done.action == rights.Action.DELETE_ACCOUNT:
        logout(request)
    elif done.entry is not None and request.user.is_authenticated:
        messages.success(
            request,
            _("“%(title)s” is withdrawn and its files are deleted.") % {"title": done.entry.title},
        )
        return redirect("contest:my_entries", slug=done.entry.contest.slug)
    return render(request, "contest/rights_done.html", {"done": done})
