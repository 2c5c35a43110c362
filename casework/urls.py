from django.urls import path

from . import views

urlpatterns = [
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/queue/", views.commitment_queue, name="commitment_queue"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment_detail"),
    path("commitments/<int:pk>/start/", views.commitment_start, name="commitment_start"),
    path("commitments/<int:pk>/progress/", views.commitment_progress, name="commitment_progress"),
    path("commitments/<int:pk>/done/", views.commitment_report_done, name="commitment_report_done"),
    path("commitments/<int:pk>/verify/", views.commitment_verify, name="commitment_verify"),
    path("commitments/<int:pk>/extension/", views.commitment_extension, name="commitment_extension"),
    path("commitments/<int:pk>/cancellation/", views.commitment_cancellation, name="commitment_cancellation"),
    path("commitments/requests/<int:pk>/decide/", views.commitment_decide, name="commitment_decide"),
]
