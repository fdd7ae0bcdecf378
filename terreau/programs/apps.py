from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "terreau.programs"
    label = "programs"
    verbose_name = "Programmes collectifs"

    def ready(self) -> None:
        from terreau.core.access import register_roles
        from terreau.programs.roles import program_team_roles

        register_roles(program_team_roles)
