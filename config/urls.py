from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = _("Grassroots visits administration")
admin.site.site_title = _("Grassroots visits")
admin.site.index_title = _("System administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cadres.urls")),
    path("", include("casework.urls")),
    path("", include("visits.urls")),
    path("accountability/", include("accountability.urls")),
    path("reports/", include("reports.urls")),
    path("dashboard/", include("reports.dashboard_urls")),
    path("api/v1/", include("visits.api_urls")),
    # The OpenAPI document, and Swagger UI on it (served from our static files, no CDN).
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api_schema")), name="api_docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
