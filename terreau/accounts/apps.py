from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "terreau.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from terreau.accounts.roles import network_and_branch_roles
        from terreau.core.access import register_roles

        register_roles(network_and_branch_roles)
