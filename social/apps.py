from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    verbose_name = _("Facebook and Instagram relay")

    def ready(self) -> None:
        # A withdrawn photo, or a withdrawn social media use, takes its posts down.
        from contest.rights import on_entry_withdrawn, on_social_use_withdrawn
        from social.services import entry_posts_withdrawn

        on_entry_withdrawn(entry_posts_withdrawn)
        on_social_use_withdrawn(entry_posts_withdrawn)

        # The posts of a participant's photos in their download, and emptied on erasure.
        from contest.rights import on_participant_data
        from social.rights import claims_erase, claims_export, posts_erase, posts_export

        on_participant_data("social_posts", export=posts_export, erase=posts_erase)
        on_participant_data("instagram_claims", export=claims_export, erase=claims_erase)
