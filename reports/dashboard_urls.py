from django.urls import path

from . import dashboard_views as views

urlpatterns = [
    path("", views.dashboard_home, name="dashboard"),
    path("regions/<int:pk>/", views.dashboard_region, name="dashboard_region"),
    path("regions/<int:pk>/households/", views.dashboard_households, name="dashboard_households"),
    path("concerns/", views.dashboard_concerns, name="dashboard_concerns"),
    path("cadres/", views.dashboard_cadres, name="dashboard_cadres"),
]
