"""Marketing's pages of the relay: the queue of posts, and scheduling from the relay page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contest.models import Contest, Participant
from contest.selectors import enrollment_current
from contest.views import contest_step
from core.access import staff_permission_required
from core.http import AuthenticatedHttpRequest
from gallery.selectors import public_entry
from gallery.services import social_hashtag
from social import selectors, services
from social.forms import ClaimForm, RefuseClaimForm, ScheduleForm
from social.models import HashtagCandidate, HashtagClaim, SocialPost

# The community manager's permission (gallery's relay): whoever relays photos posts them.
relay_required = staff_permission_required("gallery.relay_photo")


def _contest(slug: str) -> Contest:
    return get_object_or_404(Contest, slug=slug)


def _queue_url(contest: Contest) -> str:
    return reverse("social:queue", args=[contest.slug])


@relay_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    contest = _contest(slug)
    return render(
        request,
        "social/queue.html",
        {"contest": contest, "queue": selectors.post_queue(contest_id=contest.pk)},
    )


@relay_required
@require_POST
def schedule(request: HttpRequest, slug: str, public_id: UUID) -> HttpResponse:
    contest = _contest(slug)
    entry = public_entry(public_id=public_id)
    if entry is None or entry.contest_id != contest.pk:
        raise Http404
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{entry.title}: {error}")
        return HttpResponseRedirect(reverse("gallery:relay", args=[contest.slug]))
    try:
        post = services.post_schedule(
            entry=entry,
            network=form.cleaned_data["network"],
            crop=form.cleaned_data["crop"],
            scheduled_at=form.cleaned_data["scheduled_at"],
            user=request.user,  # type: ignore[arg-type]
        )
    except services.PostRefused as refused:
        messages.error(request, f"{entry.title}: {refused.message}")
        return HttpResponseRedirect(reverse("gallery:relay", args=[contest.slug]))
    messages.success(
        request,
        _("“%(title)s” is scheduled on %(network)s.")
        % {"title": entry.title, "network": post.get_network_display()},
    )
    return HttpResponseRedirect(_queue_url(contest))


@relay_required
@require_POST
def retry(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    contest = _contest(slug)
    post = get_object_or_404(SocialPost, pk=post_id, entry__contest=contest)
    if services.post_retry(post_id=post.pk):
        messages.success(request, _("The post will be tried again in a moment."))
    else:
        messages.error(request, _("This post cannot be tried again."))
    return HttpResponseRedirect(_queue_url(contest))


@relay_required
@require_POST
def mark_removed(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    contest = _contest(slug)
    post = get_object_or_404(SocialPost, pk=post_id, entry__contest=contest)
    if services.post_mark_removed(post_id=post.pk):
        messages.success(request, _("Marked as deleted."))
    return HttpResponseRedirect(_queue_url(contest))


# --- the hashtag import ------------------------------------------------------------------


@relay_required
@require_GET
def candidates(request: HttpRequest, slug: str) -> HttpResponse:
    contest = _contest(slug)
    found = selectors.hashtag_candidates(contest_id=contest.pk)
    rows = [
        (
            candidate,
            request.build_absolute_uri(
                reverse(
                    "social:claim",
                    args=[contest.slug, services.candidate_claim_token(candidate_id=candidate.pk)],
                )
            ),
        )
        for candidate in found
    ]
    return render(
        request,
        "social/candidates.html",
        {
            "contest": contest,
            "rows": rows,
            "source": selectors.hashtag_source(contest_id=contest.pk),
            "hashtag": social_hashtag(contest.slug),
        },
    )


@relay_required
@require_POST
def dismiss(request: HttpRequest, slug: str, candidate_id: int) -> HttpResponse:
    contest = _contest(slug)
    candidate = get_object_or_404(HashtagCandidate, pk=candidate_id, contest=contest)
    services.candidate_dismiss(candidate_id=candidate.pk)
    return HttpResponseRedirect(reverse("social:candidates", args=[contest.slug]))


def _candidate_claim(contest: Contest, claim_id: int) -> HashtagClaim:
    return get_object_or_404(HashtagClaim, pk=claim_id, candidate__contest=contest)


def _candidates_url(contest: Contest) -> str:
    return reverse("social:candidates", args=[contest.slug])


@relay_required
@require_POST
def claim_confirm(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    contest = _contest(slug)
    claim = _candidate_claim(contest, claim_id)
    if services.claim_confirm(claim_id=claim.pk, user=request.user):  # type: ignore[arg-type]
        messages.success(
            request,
            _("Confirmed: the post of @%(handle)s is becoming an entry.")
            % {"handle": claim.handle},
        )
    else:
        messages.error(request, _("This claim was already decided."))
    return HttpResponseRedirect(_candidates_url(contest))


@relay_required
@require_POST
def claim_refuse(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    contest = _contest(slug)
    claim = _candidate_claim(contest, claim_id)
    form = RefuseClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a short reason for the refusal."))
    elif services.claim_refuse(
        claim_id=claim.pk,
        user=request.user,  # type: ignore[arg-type]
        reason=form.cleaned_data["reason"],
    ):
        messages.success(
            request,
            _("Refused: @%(handle)s is told why, and the post may be claimed again.")
            % {"handle": claim.handle},
        )
    else:
        messages.error(request, _("This claim was already decided."))
    return HttpResponseRedirect(_candidates_url(contest))


@relay_required
@require_POST
def claim_retry(request: HttpRequest, slug: str, claim_id: int) -> HttpResponse:
    contest = _contest(slug)
    claim = _candidate_claim(contest, claim_id)
    if services.claim_retry(claim_id=claim.pk, user=request.user):  # type: ignore[arg-type]
        messages.success(request, _("The image will be fetched again in a moment."))
    else:
        messages.error(request, _("This claim cannot be tried again."))
    return HttpResponseRedirect(_candidates_url(contest))


@contest_step
@require_http_methods(["GET", "POST"])
def claim(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, token: str
) -> HttpResponse:
    """The author of an Instagram post claims it, from the link in the reply, is given the
    code to add to the post's caption, and later sees what became of the claim (checked,
    entered, refused) on the same page. A claimant refused may claim the post again."""
    candidate = _claimed_candidate(contest, token)
    context: dict[str, Any] = {"contest": contest, "candidate": candidate, "token": token}
    mine = selectors.hashtag_claim_of(candidate_id=candidate.pk, participant_id=participant.pk)
    if mine is not None:
        context["claim"] = mine
        progress = selectors.claim_progress(claim=mine)
        context.update(fetching=progress.fetching, checking=progress.checking)
        # Refused, the post open again: the claimant may try again (a typo in the username,
        # the code never added). An image unavailable: they are sent to the upload page.
        if (
            mine.state != HashtagClaim.State.REFUSED
            or candidate.state != HashtagCandidate.State.NEW
        ):
            return render(request, "social/claim.html", context)
        context["again"] = True  # refused: the form to claim the post again follows
    elif candidate.state != HashtagCandidate.State.NEW:
        return render(request, "social/claim.html", {**context, "taken": True})
    if enrollment_current(contest=contest, participant=participant) is None:
        return render(request, "social/claim.html", {**context, "needs_rules": True})
    form = ClaimForm(request.POST or None, contest=contest)
    if request.method == "POST" and form.is_valid():
        try:
            services.candidate_claim(
                candidate_id=candidate.pk,
                participant=participant,
                handle=form.cleaned_data["handle"],
                title=form.cleaned_data["title"],
                caption=form.cleaned_data["caption"],
                theme=form.cleaned_data.get("theme"),
            )
        except services.ClaimRefused as refused:
            context["refusal"] = refused.message
        else:
            # The page, loaded again, shows the code and tells what happens next.
            return HttpResponseRedirect(request.path)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "social/claim.html", context, status=status)


@contest_step
@require_POST
def claim_check(
    request: AuthenticatedHttpRequest, contest: Contest, participant: Participant, token: str
) -> HttpResponse:
    """The claimant added the code to the post's caption: the automatic check runs again."""
    candidate = _claimed_candidate(contest, token)
    mine = selectors.hashtag_claim_of(candidate_id=candidate.pk, participant_id=participant.pk)
    if mine is None:
        raise Http404
    if not services.claim_check_ask(claim_id=mine.pk, participant=participant):
        messages.info(request, _("A check was asked a moment ago: wait a minute, then ask again."))
    return HttpResponseRedirect(reverse("social:claim", args=[contest.slug, token]))


def _claimed_candidate(contest: Contest, token: str) -> HashtagCandidate:
    candidate_id = services.candidate_from_token(token=token)
    if candidate_id is None:
        raise Http404
    return get_object_or_404(HashtagCandidate, pk=candidate_id, contest=contest)
