"""State labels read right in French, where "ready" agrees with its noun."""

from __future__ import annotations

from django.utils import translation

from covers.models import Mockup, PrintPackage


def test_it_agrees_ready_with_the_mock_up_and_the_package() -> None:
    with translation.override("fr"):
        assert str(Mockup.State.READY.label) == "Prête"  # une maquette
        assert str(PrintPackage.State.READY.label) == "Prêt"  # un dossier d'impression
    with translation.override("en"):
        assert str(PrintPackage.State.READY.label) == "Ready"
