from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from moderation.services import entry_photo_ready
        from photos.services import on_photo_ready

        on_photo_ready(entry_photo_ready)

        from core.roles import on_staff_homes
        from moderation.homes import moderator_homes

        on_staff_homes(moderator_homes, order=10)

        from moderation import digest, services
        from notifications.services import on_render

        for template in ("moderation/email/approved", "moderation/email/refused"):
            on_render(
                template, services.decision_email_context, on_sent=services.decision_email_sent
            )
        on_render("moderation/email/report_answer", services.report_answer_context)
        on_render("moderation/email/digest", digest.digest_email_context)

        # The reports a participant made, in their download and erased with their account.
        from contest.rights import on_participant_data
        from moderation.rights import reports_erase, reports_export

        on_participant_data("reports", export=reports_export, erase=reports_erase)
