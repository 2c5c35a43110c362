from django.urls import path

from . import resident, views

urlpatterns = [
    path("", views.home, name="home"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("petitions/<int:pk>/", views.petition_detail, name="petition_detail"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<uuid:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<uuid:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("visits/<uuid:pk>/card/", resident.visit_card, name="visit_card"),
    # The resident's page: no account, one item.
    path("r/<str:code>/", resident.resident_confirm, name="resident_confirm"),
]
