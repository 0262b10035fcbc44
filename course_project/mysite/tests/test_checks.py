"""Django's own checks of the project, on whichever Django line is installed (5.2 LTS or 6.x).

A new Django can add system checks, change a default a model relies on (Django 6.0 made
BigAutoField the default primary key) or deconstruct a field differently; any of these shows up
here as a warning or a migration the project lacks, not later on a learner's machine.
"""

import pytest
from django.core.management import call_command


def test_the_system_checks_find_nothing():
    call_command("check", fail_level="WARNING", verbosity=0)


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    # --check exits with status 1 when makemigrations would write a migration.
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
