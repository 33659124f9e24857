"""manage.py import_gtfs: what staff read in the terminal."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.transit.conftest import GOOGLE, NANTES, edit_line
from transit.models import Line, Network

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_gtfs", *args, stdout=out)
    return out.getvalue()


def test_it_prints_what_an_import_created_then_that_a_second_changed_nothing() -> None:
    first = run(str(NANTES), "--network", "Tan")
    assert "Réseau « Tan » :" in first
    assert "Lignes : 75 créées, 0 mises à jour, 0 désactivées." in first
    assert "Arrêts : 3451 créés, 0 mis à jour, 0 désactivés." in first
    assert "absents de ce flux" in first

    second = run(str(NANTES), "--network", "Tan")
    assert "Lignes : 0 créées, 0 mises à jour, 0 désactivées." in second
    assert "Arrêts : 0 créés, 0 mis à jour, 0 désactivés." in second
    assert Network.objects.get().name == "Tan"


def test_it_names_the_network_after_the_folder_by_default() -> None:
    output = run(str(GOOGLE))
    assert "Réseau « google-sample-feed-1 » :" in output
    assert "Arrêts desservis par ligne : 13 ajoutés, 0 retirés (d’après 28 lignes" in output


def test_it_stops_on_a_broken_feed_with_the_place_of_the_error(
    feed_copy: Callable[[Path], Path],
) -> None:
    broken = feed_copy(GOOGLE)
    edit_line(broken / "routes.txt", 3, ",3,,,", ",3,,12345,")

    with pytest.raises(CommandError) as error:
        run(str(broken))

    assert str(error.value) == (
        "routes.txt, ligne 3, colonne « route_color » : « 12345 » n’est pas une couleur : "
        "six chiffres hexadécimaux sont attendus (par ex. 00a1e4)."
    )
    assert not Line.objects.exists()


def test_it_says_when_the_path_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="fichier ou dossier introuvable"):
        run(str(tmp_path / "absent.zip"))
