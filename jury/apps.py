from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JuryConfig(AppConfig):
    name = "jury"
    verbose_name = _("Jury")

    def ready(self) -> None:
        # Where the staff sign-in sends the chair and the jurors (core.roles).
        from core.roles import on_staff_homes
        from jury.homes import jury_homes

        on_staff_homes(jury_homes, order=20)

        # A photo its author withdrew leaves the open rounds (contest.rights).
        from contest.rights import on_entry_withdrawn
        from jury.services import entry_withdrawn

        on_entry_withdrawn(entry_withdrawn)

        # Next year's contest made from this one takes the jury's settings (contest.cloning).
        from contest.cloning import on_contest_cloned
        from jury.cloning import contest_cloned

        on_contest_cloned(contest_cloned)
