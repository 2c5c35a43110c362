from django.urls import path

from . import dashboard_views as views
from . import rows_views

urlpatterns = [
    path("", views.dashboard_home, name="dashboard"),
    path("regions/<int:pk>/", views.dashboard_region, name="dashboard_region"),
    path("regions/<int:pk>/households/", views.dashboard_households, name="dashboard_households"),
    path("concerns/", views.dashboard_concerns, name="dashboard_concerns"),
    path("cadres/", views.dashboard_cadres, name="dashboard_cadres"),
    path("units/", views.dashboard_units, name="dashboard_units"),
    # The rows behind the dashboard's numbers.
    path("visits/", rows_views.dashboard_visits, name="dashboard_visits"),
    path("cadres/months/", rows_views.dashboard_cadre_months, name="dashboard_cadre_months"),
    path("pledges/", rows_views.dashboard_pledges, name="dashboard_pledges"),
    path("pledges/changes/", rows_views.dashboard_pledge_changes, name="dashboard_pledge_changes"),
    path("pledges/ratings/", rows_views.dashboard_ratings, name="dashboard_ratings"),
    path("codes/", rows_views.dashboard_confirmations, name="dashboard_confirmations"),
    path("villages/", rows_views.dashboard_villages, name="dashboard_villages"),
    path("cadres/assignments/", rows_views.dashboard_cadre_assignments, name="dashboard_cadre_assignments"),
    path("pairings/", rows_views.dashboard_pairings, name="dashboard_pairings"),
    path("petitions/", rows_views.dashboard_petitions, name="dashboard_petitions"),
]
