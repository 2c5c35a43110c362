from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CadresConfig(AppConfig):
    name = "cadres"
    verbose_name = _("Cadres and assignments")


class SignInRecordsConfig(AxesAppConfig):
    """django-axes under a name an administrator understands."""

    verbose_name = _("Sign-in records")
