from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from terreau.accounts import team_views, two_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", two_factor_views.LoginView.as_view(), name="login"),
    path("connexion/code/", two_factor_views.verify, name="two_factor_verify"),
    path("double-authentification/", two_factor_views.manage, name="two_factor"),
    path("double-authentification/activer/", two_factor_views.setup, name="two_factor_setup"),
    path("double-authentification/changer/", two_factor_views.change, name="two_factor_change"),
    path("double-authentification/codes/", two_factor_views.codes, name="two_factor_codes"),
    path(
        "double-authentification/codes/telecharger/",
        two_factor_views.codes_download,
        name="two_factor_codes_download",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mon-espace/", views.profile, name="profile"),
    path("equipe/", team_views.team, name="team"),
    path("equipe/antennes/creer/", team_views.branch_create, name="branch_create"),
    path("equipe/inviter/", team_views.invite, name="invite"),
    path("equipe/<int:pk>/role/", team_views.role_grant, name="role_grant"),
    path("equipe/roles/<int:pk>/retirer/", team_views.role_revoke, name="role_revoke"),
    path("equipe/<int:pk>/desactiver/", team_views.set_active, {"active": False}, name="deactivate"),
    path("equipe/<int:pk>/reactiver/", team_views.set_active, {"active": True}, name="reactivate"),
    path("equipe/<int:pk>/double-authentification/", team_views.two_factor_reset, name="two_factor_reset"),
    path(
        "mot-de-passe/oubli/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]
