from django.urls import path

from . import api

urlpatterns = [
    path("visits/", api.VisitListCreate.as_view(), name="api_visits"),
    path("visits/<uuid:pk>/", api.VisitDetail.as_view(), name="api_visit_detail"),
    path("households/", api.MyHouseholdList.as_view(), name="api_households"),
    path("commitments/", api.MyCommitmentList.as_view(), name="api_commitments"),
]
