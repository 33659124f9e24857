from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoversConfig(AppConfig):
    name = "covers"
    verbose_name = _("Covers")

    def ready(self) -> None:
        # The upload page (contest, lower in the stack) asks us whether a photo is big
        # enough for this contest's covers: we register the answer at start-up.
        from contest.services import on_upload_advice
        from covers.services import upload_print_advice

        on_upload_advice(upload_print_advice)

        # Where the staff sign-in sends marketing (core.roles).
        from core.roles import on_staff_homes
        from covers.homes import marketing_homes

        on_staff_homes(marketing_homes, order=30)

        # A photo its author withdrew takes its cover mock-ups with it (contest.rights).
        from contest.rights import on_entry_withdrawn
        from covers.rights import entry_withdrawn

        on_entry_withdrawn(entry_withdrawn)

        # The cover winners' originals are kept past the contest's retention period.
        from contest.retention import on_retention_keep
        from covers.rights import cover_winners

        on_retention_keep(cover_winners)

        # The winner's proof e-mail carries their cover mock-ups (notifications' outbox).
        from covers.services import proof_attachments
        from notifications.services import on_attachments

        on_attachments("covers/email/proof", proof_attachments)

        # Next year's contest made from this one takes its guides (contest.cloning).
        from contest.cloning import on_contest_cloned
        from covers.cloning import contest_cloned

        on_contest_cloned(contest_cloned)
