"""The one-click opt-out page of non-essential e-mail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.kinds import LABELS
from notifications.selectors import optout_exists
from notifications.services import optout_read, optout_record, optout_remove


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without our CSRF token; the
# signed token is the proof, and the worst a forged request could do is stop some e-mail (or
# start it again, for one who had stopped it).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def optout(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners open links: that must not opt anybody out), POST records; a
    POST with action=resubscribe undoes it, for someone who clicked by mistake."""
    found = optout_read(token=token)
    if found is None:
        return render(request, "notifications/optout.html", {"invalid": True}, status=400)
    email, kind = found
    state = "ask"
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        optout_remove(email=email, kind=kind)
        state = "resubscribed"
    elif request.method == "POST":
        optout_record(email=email, kind=kind)
        state = "done"
    elif optout_exists(email=email, kind=kind):
        state = "already"
    return render(
        request,
        "notifications/optout.html",
        {"email": email, "label": LABELS[kind], "state": state},
    )
